/*
 * polling.h - Handing out results: callbacks, feeders, poll_cb, the engine after fork.
 * Part of the glue, included once by AIO.xs (in this order).
 */
/* Set in a forked child (pthread_atfork): the pool's threads do not exist
 * there, so its first use of the module starts a fresh pool, as an
 * explicit IO::AIO::reinit would.  Requests of the parent are the
 * parent's: the child never sees their callbacks.  Without this, a child
 * that used the module (or merely ran the END block's flush with requests
 * of the parent outstanding) waited forever. */
static volatile sig_atomic_t forked;
/* the child's readiness descriptor was renewed at the fork */
static volatile sig_atomic_t fileno_renewed;

/* Runs the callback of a done request (unless cancelled) and frees it.
 * Returns true if the callback died. */
static int
finish (pTHX_ aio_req *req, const aiors_event *ev)
{
  int died = 0;

  /* the buffer is Perl's again, whatever happened */
  if (EXTRA (req)->unpin_readonly)
    {
      SvREADONLY_off (req->extra->buffer);
      req->extra->unpin_readonly = 0;
    }

  req->grp_finished = 1;

  if (EXTRA (req)->into_group && !ev->cancelled)
    result_into_group (aTHX_ req->extra->into_group, ev);

  if (!ev->cancelled && req->callback)
    {
      dSP;
      /* the callback may replace itself ($req->cb): keep it alive (G_EVAL
       * brings every die back here, so no savestack entry is needed) */
      SV *callback = SvREFCNT_inc_NN (req->callback);

      ENTER;
      SAVETMPS;
      PUSHMARK (SP);
      PUTBACK;
      push_results (aTHX_ req, ev);
      errno = req->kind == RESULT_GROUP ? EXTRA (req)->grp_errno : ev->errno_;
      call_sv (callback, G_VOID | G_DISCARD | G_EVAL);
      died = SvTRUE (ERRSV);
      FREETMPS;
      LEAVE;
      SvREFCNT_dec (callback);
    }

  if (req->inuse)
    req->done = 1; /* freed by whoever still uses it */
  else
    req_free (aTHX_ req);

  return died;
}

/* Calls a group's feeder while the engine says the group wants more. */
static void
feed_group (pTHX_ aio_req *grp)
{
  /* the feeder may run poll_cb or flush, which may complete the group:
   * it stays allocated until we are done with it */
  ++grp->inuse;

  do
    {
      dSP;

      if (!EXTRA (grp)->feeder || grp->done)
        break;

      ENTER;
      SAVETMPS;
      /* the feeder may replace itself ($grp->feed): keep it alive */
      SAVEFREESV (SvREFCNT_inc_NN (grp->extra->feeder));
      PUSHMARK (SP);
      XPUSHs (req_sv (aTHX_ grp, grp_stash));
      PUTBACK;
      /* like IO::AIO: a dying feeder only warns */
      call_sv (grp->extra->feeder, G_VOID | G_DISCARD | G_EVAL | G_KEEPERR);
      FREETMPS;
      LEAVE;

      if (grp->done)
        break;

      if (!aiors_grp_feed_end (grp->core))
        {
          drop_feeder (aTHX_ grp);
          break;
        }
    }
  while (aiors_grp_feed_begin (grp->core));

  if (!--grp->inuse && grp->done)
    req_free (aTHX_ grp);
}

/* Handles an event of aiors_poll_next or aiors_poll_followup; returns
 * true if a callback died. */
static int
handle_event (pTHX_ const aiors_event *ev)
{
  AV *slow;
  int died;

  if (ev->kind == AIORS_EVENT_FEED)
    {
      feed_group (aTHX_ (aio_req *)ev->token);
      return 0;
    }

  /* the slow-request hook's arguments are taken before the callback,
   * which may poll */
  slow = slow_hook && !ev->cancelled ? slow_request_args (aTHX) : NULL;
  died = finish (aTHX_ (aio_req *)ev->token, ev);
  if (slow)
    died = call_slow_hook (aTHX_ slow, died);
  return died;
}

/* A callback died, ending the round: its request's group bookkeeping
 * still runs now (feeding, the group's own callback), as in IO::AIO, so
 * that the descriptor stays readable exactly while results wait.  The
 * first error is the one poll_cb dies with. */
static void
followup_after_die (pTHX)
{
  aiors_event ev;
  SV *err = sv_2mortal (newSVsv (ERRSV));

  int got;

  while ((got = aiors_poll_followup (pool, &ev)) > 0)
    handle_event (aTHX_ &ev);

  if (got == AIORS_POLL_PANIC)
    croak_internal (aTHX_ "while handing out results");

  sv_setsv (ERRSV, err);
}

/* Hands out results until none wait or the budget is used up.  Returns
 * 0 if all were handled, -1 if some remain, 1 if a callback died. */
static int
poll_results (pTHX)
{
  aiors_event ev;

  aiors_poll_begin (pool);

  for (;;)
    {
      int got;

      /* a callback forked: the rest of the round is the parent's */
      if (forked)
        return 0;

      got = aiors_poll_next (pool, &ev);

      if (got == 0)
        return 0;

      if (got == AIORS_POLL_PANIC)
        croak_internal (aTHX_ "while handing out results");

      if (got < 0)
        {
          errno = EAGAIN;
          return -1;
        }

      if (handle_event (aTHX_ &ev))
        {
          followup_after_die (aTHX);
          return 1;
        }
    }
}

static int
poll_cb (pTHX)
{
  if (tick_hook)
    stats_tick (aTHX);

  for (;;)
    {
      int res = poll_results (aTHX);

      if (res > 0)
        croak_sv (ERRSV);

      if (forked || !max_outstanding || max_outstanding > aiors_nreqs (pool))
        return res;

      aiors_wait (pool);
    }
}

static void
pool_init (pTHX)
{
  int err = 0;

  pool = aiors_pool_new (&err);
  if (!pool)
    croak ("IO::AIO: unable to initialise the engine: %s", Strerror (err));
  stats_apply ();
}

/* At once in the child, before any event loop can look again: the
 * descriptor number that loops (AnyEvent::AIO) watch gets an object of the
 * child's own, unsignalled; the parent's results never show through it.
 * The pool itself waits for the first use (check_fork). */
static void
atfork_child (void)
{
  forked = 1;
  fileno_renewed = !aiors_pool_renew_fileno (pool);
}

/* A fresh pool keeping poll_fileno's number, as IO::AIO keeps it: after a
 * fork (the old pool's threads are gone) or in IO::AIO::reinit (they are
 * stopped first, after their current requests; queued ones are dropped).
 * Without a fork the descriptor keeps its object too, which is this
 * process's alone: an epoll set watching it (EV) needs no new
 * registration. */
static void
renew_pool (pTHX_ int in_child)
{
  aiors_pool *next;
  int err = 0;

  if (!in_child)
    aiors_set_max_parallel (pool, 0);

  next = aiors_pool_successor (pool, !in_child || fileno_renewed, &err);
  if (!next)
    {
      forked = in_child; /* try again on the next use */
      croak ("IO::AIO: unable to initialise the engine: %s", Strerror (err));
    }

  pool = next;
}

static void
check_fork (pTHX)
{
  if (forked)
    {
      forked = 0;
      renew_pool (aTHX_ 1);
    }
}

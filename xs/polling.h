/*
 * polling.h - Handing out results: callbacks, feeders, poll_cb, the engine after fork.
 * Part of the glue, included once by AIO.xs (in this order).
 */
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

/* Hands out results until none wait or the budget is used up.  Returns
 * 0 if all were handled, -1 if some remain, 1 if a callback died. */
static int
poll_results (pTHX)
{
  aiors_event ev;

  aiors_poll_begin (pool);

  for (;;)
    {
      int got = aiors_poll_next (pool, &ev);

      if (got == 0)
        return 0;

      if (got < 0)
        {
          errno = EAGAIN;
          return -1;
        }

      if (ev.kind == AIORS_EVENT_FEED)
        feed_group (aTHX_ (aio_req *)ev.token);
      else
        {
          AV *slow = slow_hook && !ev.cancelled ? slow_request_args (aTHX) : NULL;
          int died = finish (aTHX_ (aio_req *)ev.token, &ev);

          if (slow)
            died = call_slow_hook (aTHX_ slow, died);
          if (died)
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

      if (!max_outstanding || max_outstanding > aiors_nreqs (pool))
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

/* Set in a forked child (pthread_atfork): the pool's threads do not exist
 * there, so its first use of the module starts a fresh pool, as an
 * explicit IO::AIO::reinit would.  Requests of the parent are the
 * parent's: the child never sees their callbacks.  Without this, a child
 * that used the module (or merely ran the END block's flush with requests
 * of the parent outstanding) waited forever. */
static volatile sig_atomic_t forked;

static void
atfork_child (void)
{
  forked = 1;
}

static void
check_fork (pTHX)
{
  if (forked)
    {
      forked = 0;
      aiors_pool_forget (pool);
      pool_init (aTHX);
    }
}

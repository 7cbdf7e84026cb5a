/*
 * stats.h - Statistics: IO::AIO::stats, stats_reset, slow_request, and the
 * poll_cb interval hook that aio-stat reports with.
 * Part of the glue, included once by AIO.xs (in this order: polling.h
 * calls it).
 */
#include <time.h>

/* Collection was asked for (IO_AIO_STATS, or a call): every pool made
 * from now on collects, a forked child's too. */
static int stats_wanted;

/* IO::AIO::slow_request's hook and threshold in seconds. */
static SV *slow_hook;
static NV slow_after;

/* aio-stat's hook, called from poll_cb every tick_every seconds. */
static SV *tick_hook;
static NV tick_every, tick_next;

static void
stats_boot (void)
{
  const char *env = getenv ("IO_AIO_STATS");

  stats_wanted = env && *env && strcmp (env, "0");
}

/* A new pool collects if collection was asked for. */
static void
stats_apply (void)
{
  if (stats_wanted)
    aiors_stats_enable (pool);
}

static NV
monotonic_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The slow-request hook's arguments for the last done event, or NULL if
 * its request took no longer than the threshold (or was not timed).
 * Taken before the callback runs: it may poll, which moves the engine
 * on to other events. */
static AV *
slow_request_args (pTHX)
{
  aiors_done_times t;
  AV *args;

  if (!aiors_result_times (pool, &t) || t.queued + t.executing <= slow_after)
    return NULL;

  args = newAV ();
  av_extend (args, 3);
  av_push (args, newSVpvn (t.op, t.op_len));
  av_push (args, t.path ? newSVpvn (t.path, t.path_len) : t.fd >= 0 ? newSViv (t.fd) : newSV (0));
  av_push (args, newSVnv (t.queued));
  av_push (args, newSVnv (t.executing));
  return args;
}

/* Calls the slow-request hook with `args` (which it frees), unless the
 * request's callback `died` before it.  Returns whether either died: a
 * dying hook makes poll_cb die, like a dying callback. */
static int
call_slow_hook (pTHX_ AV *args, int died)
{
  /* the callback may have removed or replaced the hook */
  if (!died && slow_hook)
    {
      dSP;
      SV *hook = SvREFCNT_inc_NN (slow_hook);
      SSize_t i;

      ENTER;
      SAVETMPS;
      PUSHMARK (SP);
      EXTEND (SP, av_len (args) + 1);
      for (i = 0; i <= av_len (args); ++i)
        PUSHs (AvARRAY (args)[i]);
      PUTBACK;
      call_sv (hook, G_VOID | G_DISCARD | G_EVAL);
      died = SvTRUE (ERRSV);
      FREETMPS;
      LEAVE;
      SvREFCNT_dec (hook);
    }

  SvREFCNT_dec ((SV *)args);
  return died;
}

/* From poll_cb: calls aio-stat's hook if its time has come.  A hook that
 * dies only warns (it is no part of the program). */
static void
stats_tick (pTHX)
{
  NV now = monotonic_now ();

  if (now >= tick_next)
    {
      dSP;
      SV *hook = SvREFCNT_inc_NN (tick_hook);

      tick_next = now + tick_every;
      ENTER;
      SAVETMPS;
      PUSHMARK (SP);
      PUTBACK;
      call_sv (hook, G_VOID | G_DISCARD | G_EVAL | G_KEEPERR);
      FREETMPS;
      LEAVE;
      SvREFCNT_dec (hook);
    }
}

static HV *
times_hv (pTHX_ const aiors_times *t)
{
  HV *hv = newHV ();

  hv_stores (hv, "count", newSVuv (t->count));
  hv_stores (hv, "sum",   newSVnv (t->sum));
  hv_stores (hv, "min",   newSVnv (t->min));
  hv_stores (hv, "max",   newSVnv (t->max));
  hv_stores (hv, "p50",   newSVnv (t->p50));
  hv_stores (hv, "p90",   newSVnv (t->p90));
  hv_stores (hv, "p99",   newSVnv (t->p99));
  return hv;
}

/* One kind's (or all requests') statistics; errors keyed by errno number
 * (IO::AIO::stats names them). */
static HV *
op_hv (pTHX_ const aiors_stats *stats, size_t index, const aiors_op_stats *op)
{
  HV *hv = newHV ();
  HV *errors = newHV ();
  size_t nth;
  int errno_;
  uint64_t count;

  hv_stores (hv, "submitted",  newSVuv (op->submitted));
  hv_stores (hv, "completed",  newSVuv (op->completed));
  hv_stores (hv, "failed",     newSVuv (op->failed));
  hv_stores (hv, "cancelled",  newSVuv (op->cancelled));
  hv_stores (hv, "on_threads", newSVuv (op->on_threads));
  hv_stores (hv, "on_ring",    newSVuv (op->on_ring));
  hv_stores (hv, "queued",     newRV_noinc ((SV *)times_hv (aTHX_ &op->queued)));
  hv_stores (hv, "exec",       newRV_noinc ((SV *)times_hv (aTHX_ &op->executing)));

  for (nth = 0; aiors_stats_error (stats, index, nth, &errno_, &count); ++nth)
    {
      char key[16];
      int len = snprintf (key, sizeof key, "%d", errno_);

      hv_store (errors, key, len, newSVuv (count), 0);
    }

  hv_stores (hv, "errors", newRV_noinc ((SV *)errors));
  return hv;
}

/* IO::AIO::_stats: everything as a hash reference (collection starts on
 * the first call). */
static SV *
stats_sv (pTHX)
{
  aiors_stats *stats;
  aiors_engine_stats engine;
  aiors_op_stats op;
  HV *hv, *ops;
  size_t index;

  stats_wanted = 1;
  aiors_stats_enable (pool);
  stats = aiors_stats_new (pool);
  if (!stats)
    croak ("IO::AIO: internal error while collecting statistics");

  hv = newHV ();
  ops = newHV ();
  aiors_stats_engine (stats, &engine);
  hv_stores (hv, "engine",          newSVpv (aiors_engine (pool), 0));
  hv_stores (hv, "elapsed",         newSVnv (engine.elapsed));
  hv_stores (hv, "nreqs",           newSVuv (aiors_nreqs (pool)));
  hv_stores (hv, "nready",          newSVuv (aiors_nready (pool)));
  hv_stores (hv, "npending",        newSVuv (aiors_npending (pool)));
  hv_stores (hv, "nthreads",        newSVuv (aiors_nthreads (pool)));
  hv_stores (hv, "threads_started", newSVuv (engine.threads_started));
  hv_stores (hv, "threads_exited",  newSVuv (engine.threads_exited));
  hv_stores (hv, "wakeups",         newSVuv (engine.wakeups));
  hv_stores (hv, "sleeps",          newSVuv (engine.sleeps));
  hv_stores (hv, "watches",         newSVuv (engine.watches));
  hv_stores (hv, "spins",           newSVuv (engine.spins));
  hv_stores (hv, "given_back",      newSVuv (engine.given_back));
  hv_stores (hv, "ring_submitted",  newSVuv (engine.ring_submitted));

  for (index = 0; aiors_stats_op (stats, index, &op); ++index)
    {
      SV *rv;

      /* kinds that saw no request are left out */
      if (index && !op.submitted && !op.completed && !op.cancelled)
        continue;

      rv = newRV_noinc ((SV *)op_hv (aTHX_ stats, index, &op));
      if (index)
        hv_store (ops, op.name, op.name_len, rv, 0);
      else
        hv_stores (hv, "total", rv);
    }

  hv_stores (hv, "ops", newRV_noinc ((SV *)ops));
  aiors_stats_free (stats);
  return newRV_noinc ((SV *)hv);
}

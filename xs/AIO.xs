/*
 * AIO.xs - Perl glue for the IO::AIO engine.
 *
 * This file only converts: Perl arguments into aiors_submit_* calls, and
 * engine events into callback invocations.  Queues, threads and group rules
 * live in the engine (src/, reached through aiors.h).  Callbacks run only
 * here, inside poll_cb, on the Perl thread.
 */
#define PERL_NO_GET_CONTEXT
#include "EXTERN.h"
#include "perl.h"
#include "XSUB.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <unistd.h>

#include "aiors.h"
#include "constants.h"
#include "mmap.inc"
#include "helpers.inc"

#define READDIR_DENTS 0x01 /* IO::AIO::READDIR_DENTS */
#define READDIR_PRIVATE 0x300 /* IO::AIO's own bits, never handed back */

/* What a callback receives, decided at submission. */
enum result_kind {
  RESULT_NONE,      /* aio_nop, aio_busy: no arguments */
  RESULT_INT,       /* the integer result */
  RESULT_FH,        /* aio_open: a filehandle or undef */
  RESULT_STAT,      /* the result, after filling perl's stat cache */
  RESULT_LSTAT,
  RESULT_READ,      /* the result, after fixing the buffer's length */
  RESULT_NAMES,     /* aio_readdir: array of names or undef */
  RESULT_DIRENTS,   /* aio_readdirx: (array or undef, flags) */
  RESULT_SPLIT,     /* aio_scandir's scan: (dirs, nondirs) or nothing */
  RESULT_GROUP,     /* the values set with $grp->result */
  RESULT_FIEMAP,    /* aio_fiemap: extents, or the count; nothing on error */
  RESULT_SLURP,     /* aio_slurp: the result, after storing the data */
  RESULT_STATVFS,   /* aio_statvfs: hash or undef */
  RESULT_STRING,    /* aio_readlink, aio_realpath: the path, or nothing */
  RESULT_WD         /* aio_wd: an IO::AIO::WD object or undef */
};

/* What only some requests need: values to keep alive, a data buffer,
 * group state.  Made on first use (req_extra), so that the common request
 * stays one small allocation: a million queued requests each pay for it. */
typedef struct req_extra {
  /* filehandles and working directories (objects' bodies) that must live
   * while the request runs; no request needs more than two (req_keep) */
  SV *keep[2];
  SV *buffer;          /* aio_read/aio_write data scalar, pinned */
  STRLEN buffer_offset;
  /* aio_scandir's scan: its results become this group's result */
  struct aio_req *into_group;
  /* groups only */
  SV *feeder;
  AV *grp_result;
  int grp_errno;
  U32 readdir_flags;   /* for RESULT_DIRENTS: also pass entry types */
  bool unpin_readonly; /* we set SvREADONLY on the buffer: undo it */
  bool buffer_mapped;  /* the buffer is an IO::AIO::mmap scalar, counted busy */
  bool slurp_inplace;  /* aio_slurp reads into the buffer itself */
} req_extra;

/* The glue's side of one request, kept in the engine request's user area
 * (so a request is one allocation); its address is the engine token. */
typedef struct aio_req {
  aiors_req *core;
  SV *callback;        /* a CV, or NULL */
  HV *self;            /* body of the IO::AIO::REQ object, once asked for */
  req_extra *extra;    /* NULL until needed: read it through EXTRA () */
  /* re-entrancy: code of ours still uses the request (a feeder runs);
   * a request done meanwhile is freed when that code is finished */
  unsigned inuse;
  U8 kind;             /* enum result_kind */
  U8 open_flags;       /* O_ACCMODE part, for the filehandle's mode */
  /* handed back, its callback ran; freed when inuse drops to 0 (a group's
   * "finished", which refuses new members, is the engine's: aiors_grp_finished) */
  bool done;
} aio_req;

_Static_assert (sizeof (aio_req) <= AIORS_REQ_USER_SIZE, "aio_req fits the engine's user area");

/* A request's extras for reading: all zero if it has none. */
static const req_extra no_extra;
#define EXTRA(req) ((req)->extra ? (const req_extra *)(req)->extra : &no_extra)

static aiors_pool *pool;
static int next_pri;           /* aioreq_pri for the next request */
static unsigned int max_outstanding;
static SV *on_next_submit;     /* AnyEvent::AIO's one-shot hook */
static HV *req_stash, *grp_stash, *wd_stash;

/* Marks the IO::AIO::REQ objects we made; forged ones lack it. */
static MGVTBL req_vtbl;

/* The glue, by concern (each file is included once, in this order). */
#include "stats.inc"
#include "lifecycle.inc"
#include "requests.inc"
#include "arguments.inc"
#include "results.inc"
#include "polling.inc"
#include "buffers.inc"
#include "bodies.inc"

typedef SV SV8;

MODULE = IO::AIO                PACKAGE = IO::AIO

PROTOTYPES: ENABLE

BOOT:
{
  HV *stash = gv_stashpvs ("IO::AIO", GV_ADD);

  req_stash = gv_stashpvs ("IO::AIO::REQ", GV_ADD);
  grp_stash = gv_stashpvs ("IO::AIO::GRP", GV_ADD);
  aiors_register_constants (aTHX_ stash);
  stats_boot ();
  pool_init (aTHX);
  pthread_atfork (NULL, NULL, atfork_child);
}

void
reinit ()
	PROTOTYPE:
	CODE:
        {
          int in_child = forked;

          forked = 0;
          renew_pool (aTHX_ in_child);
        }

void
max_poll_reqs (unsigned int nreqs)
	PROTOTYPE: $
	CODE:
        aiors_set_max_poll_reqs (pool, nreqs);

void
max_poll_time (double nseconds)
	PROTOTYPE: $
	CODE:
        aiors_set_max_poll_time (pool, nseconds);

void
min_parallel (unsigned int nthreads)
	PROTOTYPE: $
	ALIAS:
           min_parallel = 0
           max_parallel = 1
           max_idle     = 2
	CODE:
        switch (ix)
          {
            case 0: aiors_set_min_parallel (pool, nthreads); break;
            case 1: aiors_set_max_parallel (pool, nthreads); break;
            case 2: aiors_set_max_idle     (pool, nthreads); break;
          }

void
idle_timeout (unsigned int seconds)
	PROTOTYPE: $
	CODE:
        aiors_set_idle_timeout (pool, seconds);

void
max_outstanding (unsigned int maxreqs)
	PROTOTYPE: $
	CODE:
        max_outstanding = maxreqs;

void
aio_open (SV8 *pathname, int flags, int mode, SV *callback = &PL_sv_undef)
	PPCODE:
{
        aio_path p;
        aio_req *req;

        path_of (aTHX_ pathname, &p);
        req = req_new (aTHX_ callback, RESULT_FH);
        hold_path (aTHX_ req, &p);
        req->open_flags = flags & O_ACCMODE;
        check_submitted (aTHX_ req, aiors_submit_open (pool, req->core, p.dir, p.ptr, p.len, flags, mode));
        REQ_RETURN (req);
}

void
aio_close (SV *fh, SV *callback = &PL_sv_undef)
	PPCODE:
{
        int fd;
        aio_req *req = fd_req (aTHX_ fh, &fd, callback, RESULT_INT);

        check_submitted (aTHX_ req, aiors_submit_close (pool, req->core, fd));
        REQ_RETURN (req);
}

void
aio_seek (SV *fh, SV *offset, int whence, SV *callback = &PL_sv_undef)
	PPCODE:
{
        int fd;
        aio_req *req = fd_req (aTHX_ fh, &fd, callback, RESULT_INT);

        check_submitted (aTHX_ req, aiors_submit_seek (pool, req->core, fd, SvIV (offset), whence));
        REQ_RETURN (req);
}

void
aio_read (SV *fh, SV *offset, SV *length, SV8 *data, IV dataoffset, SV *callback = &PL_sv_undef)
	ALIAS:
           aio_read  = 0
           aio_write = 1
	PPCODE:
{
        int fd = fileno_croak (aTHX_ fh, ix);
        STRLEN len, buffer_offset;
        int fail;
        char *buf = prepare_buffer (aTHX_ &data, length, dataoffset, ix, &len, &buffer_offset, &fail);
        aio_req *req = req_new (aTHX_ callback, ix ? RESULT_INT : RESULT_READ);
        int64_t pos = SvOK (offset) ? (int64_t)SvIV (offset) : -1;

        pin_buffer (aTHX_ req, data, buffer_offset);
        req_keep (aTHX_ req, newSVsv (fh));
        check_submitted (aTHX_ req, fail
          ? aiors_submit_fail (pool, req->core, fail)
          : ix ? aiors_submit_write (pool, req->core, fd, pos, buf, len)
          : aiors_submit_read (pool, req->core, fd, pos, buf, len));
        REQ_RETURN (req);
}

void
aio_stat (SV8 *fh_or_path, SV *callback = &PL_sv_undef)
	ALIAS:
           aio_stat  = 0
           aio_lstat = 1
	PPCODE:
{
        aio_path p;
        int fd = target_of (aTHX_ fh_or_path, &p);
        /* on a filehandle both are an fstat, which perl's -l _ refuses */
        aio_req *req = req_new (aTHX_ callback, ix && p.ptr ? RESULT_LSTAT : RESULT_STAT);

        hold_target (aTHX_ req, fh_or_path, &p);
        check_submitted (aTHX_ req, p.ptr
          ? aiors_submit_stat_path (pool, req->core, p.dir, p.ptr, p.len, !ix)
          : aiors_submit_stat_fd (pool, req->core, fd, !ix));
        REQ_RETURN (req);
}

void
aio_readdirx (SV8 *pathname, IV flags, SV *callback = &PL_sv_undef)
	PPCODE:
{
        aio_path p;
        aio_req *req;

        path_of (aTHX_ pathname, &p);
        req = req_new (aTHX_ callback, RESULT_DIRENTS);
        hold_path (aTHX_ req, &p);

        /* entries are always collected with their types (READDIR_DENTS),
         * but only handed out with them if the caller asked */
        req_extra_of (req)->readdir_flags = flags;
        check_submitted (aTHX_ req, aiors_submit_readdir (pool, req->core, p.dir, p.ptr, p.len, flags | READDIR_DENTS));
        REQ_RETURN (req);
}

void
aio_scandir (SV8 *pathname, IV maxreq, SV *callback = &PL_sv_undef)
	PPCODE:
{
        /* The engine's scan reads the directory and sorts its entries into
         * directories and the rest in one request.  $maxreq bounded IO::AIO's
         * chain of stat requests; the engine needs no limit.  As in IO::AIO
         * the caller gets a group, so it can cancel the scan; in void context
         * nobody can see the group, so the scan calls back itself. */
        aio_path p;
        int pri = next_pri;    /* the scan's too, if it has a group */
        aio_req *grp = NULL, *scan;
        SV *obj;

        PERL_UNUSED_VAR (maxreq);
        path_of (aTHX_ pathname, &p);

        if (GIMME_V == G_VOID)
          scan = req_new (aTHX_ callback, RESULT_SPLIT);
        else
          {
            grp = req_new (aTHX_ callback, RESULT_GROUP);
            check_submitted (aTHX_ grp, aiors_submit_group (pool, grp->core));
            scan = req_alloc (aTHX_ RESULT_NONE, pri, NULL);
            req_extra_of (scan)->into_group = grp;
          }

        hold_path (aTHX_ scan, &p);
        check_submitted (aTHX_ scan, aiors_submit_scandir (pool, scan->core, p.dir, p.ptr, p.len));
        if (grp)
          aiors_grp_add (grp->core, scan->core);

        PUTBACK;
        obj = grp ? req_submitted (aTHX_ grp, grp_stash) : req_submitted (aTHX_ scan, NULL);
        SPAGAIN;
        if (obj)
          XPUSHs (obj);
}

void
aio_mkdir (SV8 *pathname, int mode, SV *callback = &PL_sv_undef)
	PPCODE:
{
        aio_path p;
        aio_req *req;

        path_of (aTHX_ pathname, &p);
        req = req_new (aTHX_ callback, RESULT_INT);
        hold_path (aTHX_ req, &p);
        check_submitted (aTHX_ req, aiors_submit_mkdir (pool, req->core, p.dir, p.ptr, p.len, mode));
        REQ_RETURN (req);
}

void
aio_unlink (SV8 *pathname, SV *callback = &PL_sv_undef)
	ALIAS:
           aio_unlink  = 1
           aio_rmdir   = 2
           aio_readdir = 0
	PPCODE:
{
        aio_path p;
        aio_req *req;

        path_of (aTHX_ pathname, &p);
        if (ix == 2)
          dot_to_base (&p);

        req = req_new (aTHX_ callback, ix ? RESULT_INT : RESULT_NAMES);
        hold_path (aTHX_ req, &p);
        check_submitted (aTHX_ req, ix
          ? (ix == 2 ? aiors_submit_rmdir : aiors_submit_unlink) (pool, req->core, p.dir, p.ptr, p.len)
          : aiors_submit_readdir (pool, req->core, p.dir, p.ptr, p.len, 0));
        REQ_RETURN (req);
}

void
aio_busy (double delay, SV *callback = &PL_sv_undef)
	PPCODE:
{
        aio_req *req = req_new (aTHX_ callback, RESULT_NONE);

        check_submitted (aTHX_ req, aiors_submit_busy (pool, req->core, delay));
        REQ_RETURN (req);
}

void
aio_group (SV *callback = &PL_sv_undef)
	PPCODE:
{
        aio_req *req = req_new (aTHX_ callback, RESULT_GROUP);

        SV *obj;

        check_submitted (aTHX_ req, aiors_submit_group (pool, req->core));
        PUTBACK;
        obj = req_submitted (aTHX_ req, grp_stash);
        SPAGAIN;
        XPUSHs (obj);
}

void
aio_nop (SV *callback = &PL_sv_undef)
	ALIAS:
           aio_nop  = 0
           aio_sync = 1
	PPCODE:
{
        aio_req *req = req_new (aTHX_ callback, ix ? RESULT_INT : RESULT_NONE);

        check_submitted (aTHX_ req, ix ? aiors_submit_sync (pool, req->core)
                       : aiors_submit_nop (pool, req->core));
        REQ_RETURN (req);
}

int
aioreq_pri (int pri = NO_INIT)
	CODE:
        RETVAL = next_pri;
        if (items > 0)
          next_pri = aiors_pri_clamp (pri);
	OUTPUT:
        RETVAL

void
aioreq_nice (int nice = 0)
	CODE:
        next_pri = aiors_pri_clamp (next_pri - nice);

void
flush ()
	CODE:
        /* a callback may fork: the child's loop ends with a fresh pool */
        for (check_fork (aTHX); aiors_nreqs (pool); check_fork (aTHX))
          {
            aiors_wait (pool);
            poll_cb (aTHX);
          }

int
poll ()
	CODE:
        check_fork (aTHX);
        aiors_wait (pool);
        RETVAL = poll_cb (aTHX);
	OUTPUT:
        RETVAL

int
poll_fileno ()
	CODE:
        check_fork (aTHX);
        RETVAL = aiors_fileno (pool);
	OUTPUT:
        RETVAL

int
poll_cb (...)
	PROTOTYPE:
	CODE:
        check_fork (aTHX);
        RETVAL = poll_cb (aTHX);
	OUTPUT:
        RETVAL

void
poll_wait ()
	CODE:
        check_fork (aTHX);
        aiors_wait (pool);

int
nreqs ()
	ALIAS:
           nreqs    = 0
           nready   = 1
           npending = 2
           nthreads = 3
	CODE:
        check_fork (aTHX);
        switch (ix)
          {
            case 0:  RETVAL = aiors_nreqs (pool);    break;
            case 1:  RETVAL = aiors_nready (pool);   break;
            case 2:  RETVAL = aiors_npending (pool); break;
            default: RETVAL = aiors_nthreads (pool); break;
          }
	OUTPUT:
        RETVAL

SV *
engine ()
	PROTOTYPE:
	CODE:
{
        size_t len = 0;
        const char *name = aiors_engine (pool, &len);

        RETVAL = newSVpvn (name, len); /* undef if NULL */
}
	OUTPUT:
        RETVAL

INCLUDE: paths.xsh

INCLUDE: files.xsh

INCLUDE: helpers.xsh

INCLUDE: stats.xsh

# for tests: the engine panics while handing out the next result
void
_test_panic_next_poll ()
	CODE:
        aiors_test_panic_next_poll ();

void
_on_next_submit (SV *cb)
	CODE:
{
        SV *old = on_next_submit;

        on_next_submit = SvOK (cb) ? newSVsv (cb) : NULL;
        SvREFCNT_dec (old); /* last: it may run any code */
}

PROTOTYPES: DISABLE

MODULE = IO::AIO                PACKAGE = IO::AIO::REQ

# The object arguments have the names IO::AIO's usage lines give them.

void
cancel (SV *req)
	CODE:
{
        aio_req *r = SvAIO_REQ (aTHX_ req);

        if (r)
          aiors_req_cancel (r->core);
}

void
cb (SV *req, SV *callback = NO_INIT)
	PPCODE:
{
        aio_req *r = SvAIO_REQ (aTHX_ req);

        if (!r)
          XSRETURN_EMPTY;

        if (GIMME_V != G_VOID)
          XPUSHs (r->callback ? sv_2mortal (newRV_inc (r->callback)) : &PL_sv_undef);

        if (items > 1)
          {
            /* get_cb may run code (magic), which may finish the request */
            SV *cb = get_cb (aTHX_ callback), *old;

            r = SvAIO_REQ (aTHX_ req);
            if (!r)
              {
                SvREFCNT_dec (cb);
                XSRETURN_EMPTY;
              }

            old = r->callback;
            r->callback = cb;
            SvREFCNT_dec (old); /* last: it may run any code */
          }
}

MODULE = IO::AIO                PACKAGE = IO::AIO::GRP

void
add (SV *grp, ...)
	PPCODE:
{
        aio_req *g = SvAIO_REQ (aTHX_ grp);
        int i;

        if (!g)
          croak ("busy IO::AIO::REQ object expected");

        if (aiors_grp_finished (g->core))
          croak ("cannot add requests to IO::AIO::GRP after the group finished");

        for (i = 1; i < items; ++i)
          {
            aio_req *r;

            if (GIMME_V != G_VOID)
              XPUSHs (sv_2mortal (newSVsv (ST (i))));

            r = SvAIO_REQ (aTHX_ ST (i));
            if (!r)
              continue;

            switch (aiors_grp_add (g->core, r->core))
              {
                case AIORS_ADD_OK:
                  break;
                case AIORS_ADD_GROUP_FINISHED:
                  croak ("cannot add requests to IO::AIO::GRP after the group finished");
                case AIORS_ADD_IN_ANOTHER_GROUP:
                  croak ("IO::AIO::GRP::add: request is already a member of another group");
                case AIORS_ADD_CYCLE:
                  croak ("IO::AIO::GRP::add: a group cannot be added to itself or to a group inside it");
                default:
                  croak ("IO::AIO::GRP::add: internal error");
              }
          }
}

void
cancel_subs (SV *req)
	CODE:
{
        aio_req *g = SvAIO_REQ (aTHX_ req);

        if (g)
          {
            aiors_grp_cancel_subs (g->core);
            drop_feeder (aTHX_ g); /* last: it may run any code */
          }
}

void
result (SV *grp, ...)
	CODE:
{
        aio_req *g = SvAIO_REQ (aTHX_ grp);
        int errorno = errno;
        req_extra *extra;
        AV *av, *old;
        int i;

        if (!g)
          croak ("busy IO::AIO::REQ object expected");

        av = (AV *)sv_2mortal ((SV *)newAV ());
        av_extend (av, items - 1);
        for (i = 1; i < items; ++i)
          av_push (av, newSVsv (ST (i)));

        /* copying may run code (magic), which may finish the group */
        g = SvAIO_REQ (aTHX_ grp);
        if (g)
          {
            extra = req_extra_of (g);
            extra->grp_errno = errorno;
            old = extra->grp_result;
            extra->grp_result = (AV *)SvREFCNT_inc_NN ((SV *)av);
            SvREFCNT_dec ((SV *)old); /* last: it may run any code */
          }
}

void
errno (SV *grp, int errorno = errno)
	CODE:
{
        aio_req *g = SvAIO_REQ (aTHX_ grp);

        if (!g)
          croak ("busy IO::AIO::REQ object expected");

        req_extra_of (g)->grp_errno = errorno;
}

void
limit (SV *grp, int limit)
	CODE:
{
        aio_req *g = SvAIO_REQ (aTHX_ grp);

        if (!g)
          croak ("busy IO::AIO::REQ object expected");

        aiors_grp_set_limit (g->core, limit);
        if (aiors_grp_feed_begin (g->core))
          feed_group (aTHX_ g);
}

void
feed (SV *grp, SV *callback = &PL_sv_undef)
	CODE:
{
        aio_req *g = SvAIO_REQ (aTHX_ grp);
        SV *feeder, *old;

        if (!g)
          croak ("busy IO::AIO::REQ object expected");

        /* copying may run code (magic), which may finish the group */
        feeder = newSVsv (callback);
        g = SvAIO_REQ (aTHX_ grp);
        if (!g)
          {
            SvREFCNT_dec (feeder);
            XSRETURN_EMPTY;
          }

        old = req_extra_of (g)->feeder;
        g->extra->feeder = feeder;
        aiors_grp_set_feeder (g->core, 1);

        /* a feeder without a limit would never run: default to 2 */
        if (aiors_grp_limit (g->core) <= 0)
          aiors_grp_set_limit (g->core, 2);

        if (aiors_grp_feed_begin (g->core))
          feed_group (aTHX_ g);

        /* last: freeing may run a destructor (and any code, which may
         * finish the group) */
        SvREFCNT_dec (old);
}

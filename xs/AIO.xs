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
#include "mmap.h"
#include "helpers.h"

#define READDIR_DENTS 0x01 /* IO::AIO::READDIR_DENTS */

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
  RESULT_GROUP,     /* the values set with $grp->result */
  RESULT_FIEMAP,    /* aio_fiemap: extents, or the count; nothing on error */
  RESULT_SLURP,     /* aio_slurp: the result, after storing the data */
  RESULT_STATVFS,   /* aio_statvfs: hash or undef */
  RESULT_STRING,    /* aio_readlink, aio_realpath: the path, or nothing */
  RESULT_WD         /* aio_wd: an IO::AIO::WD object or undef */
};

/* The glue's side of one request; its address is the engine token. */
typedef struct aio_req {
  aiors_req *core;
  SV *callback;        /* a CV, or NULL */
  HV *self;            /* body of the IO::AIO::REQ object, once asked for */
  SV *fh;              /* keeps the filehandle alive while the request runs */
  SV *fh2;             /* a second one (aio_sendfile's input) */
  SV *wd[2];           /* keep the working directories (objects' bodies) alive */
  SV *buffer;          /* aio_read/aio_write data scalar, pinned */
  STRLEN buffer_offset;
  enum result_kind kind;
  U32 readdir_flags;   /* for RESULT_DIRENTS: also pass entry types */
  int open_flags;      /* O_ACCMODE part, for the filehandle's mode */
  bool unpin_readonly; /* we set SvREADONLY on the buffer: undo it */
  bool buffer_mapped;  /* the buffer is an IO::AIO::mmap scalar, counted busy */
  bool slurp_inplace;  /* aio_slurp reads into the buffer itself */
  /* aio_scandir's scan: its results become this group's result */
  struct aio_req *into_group;
  /* groups only */
  SV *feeder;
  AV *grp_result;
  int grp_errno;
  bool grp_finished;
  /* re-entrancy: code of ours still uses the request (a feeder runs);
   * a request done meanwhile is freed when that code is finished */
  unsigned inuse;
  bool done;
} aio_req;

static aiors_pool *pool;
static int next_pri;           /* aioreq_pri for the next request */
static unsigned int max_outstanding;
static SV *on_next_submit;     /* AnyEvent::AIO's one-shot hook */
static HV *req_stash, *grp_stash, *wd_stash;

/* Marks the IO::AIO::REQ objects we made; forged ones lack it. */
static MGVTBL req_vtbl;

/* ---- requests ---------------------------------------------------------- */

static SV *
get_cb (pTHX_ SV *callback)
{
  HV *stash;
  GV *gv;
  CV *cv;

  SvGETMAGIC (callback);
  if (!SvOK (callback))
    return NULL;

  cv = sv_2cv (callback, &stash, &gv, 0);
  if (!cv)
    croak ("%s: callback must be a CODE reference or another callable object", SvPV_nolen (callback));

  return SvREFCNT_inc_NN ((SV *)cv);
}

static void check_fork (pTHX);

/* Allocates the glue side of a request; takes and resets aioreq_pri. */
static aio_req *
req_new (pTHX_ SV *callback, enum result_kind kind, int *pri)
{
  aio_req *req;
  SV *cb = get_cb (aTHX_ callback);

  check_fork (aTHX);

  Newxz (req, 1, aio_req);
  req->callback = cb;
  req->kind = kind;
  *pri = next_pri;
  next_pri = 0;
  return req;
}

static void
req_free (pTHX_ aio_req *req)
{
  if (req->self)
    {
      sv_unmagicext ((SV *)req->self, PERL_MAGIC_ext, &req_vtbl);
      SvREFCNT_dec ((SV *)req->self);
    }

  if (req->unpin_readonly)
    SvREADONLY_off (req->buffer);

  if (req->buffer_mapped)
    mapping_unbusy (aTHX_ req->buffer);

  aiors_req_free (req->core);
  SvREFCNT_dec (req->callback);
  SvREFCNT_dec (req->fh);
  SvREFCNT_dec (req->fh2);
  SvREFCNT_dec (req->wd[0]);
  SvREFCNT_dec (req->wd[1]);
  SvREFCNT_dec (req->buffer);
  SvREFCNT_dec (req->feeder);
  SvREFCNT_dec ((SV *)req->grp_result);
  Safefree (req);
}

/* The IO::AIO::REQ (or ::GRP) object of a request, as a mortal. */
static SV *
req_sv (pTHX_ aio_req *req, HV *stash)
{
  if (!req->self)
    {
      req->self = newHV ();
      sv_magicext ((SV *)req->self, NULL, PERL_MAGIC_ext, &req_vtbl, (const char *)req, 0);
    }

  return sv_2mortal (sv_bless (newRV_inc ((SV *)req->self), stash));
}

/* The request behind an object; NULL once it is done. */
static aio_req *
SvAIO_REQ (pTHX_ SV *sv)
{
  MAGIC *mg;

  if (!SvROK (sv) || !SvOBJECT (SvRV (sv)) || !sv_derived_from (sv, "IO::AIO::REQ"))
    croak ("object of class IO::AIO::REQ expected");

  mg = mg_findext (SvRV (sv), PERL_MAGIC_ext, &req_vtbl);
  return mg && !((aio_req *)mg->mg_ptr)->done ? (aio_req *)mg->mg_ptr : NULL;
}

static void
check_core (pTHX_ aio_req *req)
{
  if (!req->core)
    {
      req_free (aTHX_ req);
      croak ("IO::AIO: out of memory or internal error while submitting a request");
    }
}

/* Finishes a submission: runs AnyEvent::AIO's hook, returns the object
 * unless called in void context. */
#define REQ_RETURN(req)                                          \
  STMT_START {                                                   \
    check_core (aTHX_ req);                                      \
    PUTBACK;                                                     \
    run_on_next_submit (aTHX);                                   \
    SPAGAIN;                                                     \
    if (GIMME_V != G_VOID)                                       \
      XPUSHs (req_sv (aTHX_ req, req_stash));                    \
  } STMT_END

static void
run_on_next_submit (pTHX)
{
  if (on_next_submit)
    {
      dSP;
      SV *cb = sv_2mortal (on_next_submit);

      on_next_submit = NULL;
      PUSHMARK (SP);
      call_sv (cb, G_DISCARD | G_EVAL);
    }
}

/* ---- arguments --------------------------------------------------------- */

/* A descriptor from a filehandle or a number; -1 if there is none. */
static int
fileno_of (pTHX_ SV *fh, int for_writing)
{
  SvGETMAGIC (fh);

  if (SvROK (fh))
    {
      fh = SvRV (fh);
      SvGETMAGIC (fh);
    }

  if (SvTYPE (fh) == SVt_PVGV)
    {
      IO *io = sv_2io (fh);
      PerlIO *fp = for_writing ? IoOFP (io) : IoIFP (io);
      return fp ? PerlIO_fileno (fp) : -1;
    }

  if (SvOK (fh) && SvIV (fh) >= 0 && SvIV (fh) < 0x7fffffffL)
    return SvIV (fh);

  return -1;
}

static int
fileno_croak (pTHX_ SV *fh, int for_writing)
{
  int fd = fileno_of (aTHX_ fh, for_writing);

  if (fd < 0)
    croak ("%s: illegal fh argument, either not an OS file or read/write mode mismatch", SvPV_nolen (fh));

  return fd;
}

/* ---- working directories (IO::AIO::WD) -------------------------------- */

/* What an IO::AIO::WD object stands for.  It lives in ext magic on the
 * object's body, which tells our objects from forged ones; the body's IV
 * (the descriptor) is only for show. */
typedef struct {
  int fd;        /* AT_FDCWD for IO::AIO::CWD; AIORS_INVALID_WD for
                    IO::AIO::INVALID_WD and once closed */
  STRLEN len;
  char path[1];  /* canonical path, NUL-terminated; "" unless fd >= 0 */
} aio_wd;

static int
wd_free (pTHX_ SV *sv, MAGIC *mg)
{
  Safefree (mg->mg_ptr);
  return 0;
}

#ifdef USE_ITHREADS
/* A new interpreter gets its own copy; only the original closes the fd. */
static int
wd_dup (pTHX_ MAGIC *mg, CLONE_PARAMS *param)
{
  aio_wd *wd = (aio_wd *)mg->mg_ptr;
  aio_wd *copy = (aio_wd *)safemalloc (sizeof (aio_wd) + wd->len);

  Copy (wd, copy, sizeof (aio_wd) + wd->len, char);
  if (copy->fd >= 0)
    copy->fd = AIORS_INVALID_WD;
  mg->mg_ptr = (char *)copy;
  return 0;
}
#else
# define wd_dup 0
#endif

static MGVTBL wd_vtbl = { 0, 0, 0, 0, wd_free, 0, wd_dup, 0 };

/* A new IO::AIO::WD object (not mortal). */
static SV *
new_wd (pTHX_ int fd, const char *path, STRLEN len)
{
  aio_wd *wd = (aio_wd *)safemalloc (sizeof (aio_wd) + len);
  SV *body = newSViv (fd == AT_FDCWD ? 0 : fd);
  MAGIC *mg;

  wd->fd = fd;
  wd->len = len;
  Copy (path, wd->path, len, char);
  wd->path[len] = 0;

  mg = sv_magicext (body, NULL, PERL_MAGIC_ext, &wd_vtbl, (const char *)wd, 0);
  mg->mg_flags |= MGf_DUP;

  return sv_bless (newRV_noinc (body), wd_stash);
}

/* The working directory of an object made by new_wd; croaks otherwise. */
static aio_wd *
SvAIO_WD (pTHX_ SV *sv)
{
  MAGIC *mg = NULL;

  if (SvROK (sv) && SvTYPE (SvRV (sv)) == SVt_PVMG && SvSTASH (SvRV (sv)) == wd_stash)
    mg = mg_findext (SvRV (sv), PERL_MAGIC_ext, &wd_vtbl);

  if (!mg)
    croak ("IO::AIO: expected a working directory object as returned by aio_wd");

  return (aio_wd *)mg->mg_ptr;
}

/* ---- pathnames --------------------------------------------------------- */

/* A pathname argument, ready for the engine. */
typedef struct {
  const char *ptr;      /* the path (NULL: a filehandle, see target_of) */
  STRLEN len;
  int dir;              /* AT_FDCWD, a working directory's descriptor or
                           AIORS_INVALID_WD */
  const char *base;     /* canonical path of that working directory, NULL
                           for the process's cwd */
  STRLEN base_len;
  SV *wd;               /* the WD object's body, to keep alive */
} aio_path;

#define PATHNAME_CROAK "IO::AIO: pathname arguments must be specified as a string, an IO::AIO::WD object or a [IO::AIO::WD, path] pair"

/* Resolves a pathname argument: a string, an IO::AIO::WD object (meaning
 * "." in it) or a [$wd, $path] pair, where an undef $wd stands for
 * IO::AIO::INVALID_WD (the request fails with ENOENT). */
static void
path_of (pTHX_ SV *arg, aio_path *p)
{
  SV *wdsv = NULL;

  Zero (p, 1, aio_path);
  p->dir = AT_FDCWD;

  if (SvROK (arg))
    {
      SV *rv = SvRV (arg);

      if (SvTYPE (rv) == SVt_PVAV && !SvMAGICAL (rv) && AvFILLp (rv) == 1
          && AvARRAY (rv)[0] && AvARRAY (rv)[1])
        {
          wdsv = AvARRAY (rv)[0];
          /* a copy: neither downgrade nor stringify the caller's element */
          arg = sv_2mortal (newSVsv (AvARRAY (rv)[1]));

          if (!SvOK (wdsv))
            {
              p->dir = AIORS_INVALID_WD;
              wdsv = NULL;
            }
        }
      else if (SvTYPE (rv) == SVt_PVMG && SvSTASH (rv) == wd_stash)
        {
          wdsv = arg;
          arg = NULL;
        }
      else
        croak (PATHNAME_CROAK);

      if (wdsv)
        {
          aio_wd *wd = SvAIO_WD (aTHX_ wdsv);

          p->wd = SvRV (wdsv);
          p->dir = wd->fd;
          if (wd->fd >= 0)
            {
              p->base = wd->path;
              p->base_len = wd->len;
            }
        }

      if (!arg)
        {
          p->ptr = ".";
          p->len = 1;
          return;
        }
    }

  p->ptr = SvPVbyte (arg, p->len);
}

/* "." relative to a working directory cannot be removed or renamed: like
 * IO::AIO, use the directory's canonical path instead. */
static void
dot_to_base (aio_path *p)
{
  if (p->base && p->len == 1 && p->ptr[0] == '.')
    {
      p->ptr = p->base;
      p->len = p->base_len;
      p->dir = AT_FDCWD;
    }
}

/* Keeps the working directory of a path alive while the request runs (its
 * descriptor is in use until then). */
static void
hold_path (aio_req *req, const aio_path *p)
{
  if (p->wd)
    req->wd[req->wd[0] ? 1 : 0] = SvREFCNT_inc_NN (p->wd);
}

/* The input descriptor of a filehandle given where a path could be. */
static int
fh_fileno (pTHX_ SV *fh)
{
  PerlIO *fp = IoIFP (sv_2io (fh));

  return fp ? PerlIO_fileno (fp) : -1;
}

/* Is this argument a filehandle rather than a path? */
static int
is_fh (SV *sv)
{
  SV *rv = SvROK (sv) ? SvRV (sv) : sv;

  return SvTYPE (rv) == SVt_PVGV || SvTYPE (rv) == SVt_PVIO || SvTYPE (rv) == SVt_PVLV;
}

/* A filehandle-or-pathname argument: returns the descriptor of a
 * filehandle (p->ptr is then NULL), or -1 after resolving a path. */
static int
target_of (pTHX_ SV *fh_or_path, aio_path *p)
{
  if (is_fh (fh_or_path))
    {
      Zero (p, 1, aio_path);
      p->dir = AT_FDCWD;
      return fh_fileno (aTHX_ fh_or_path);
    }

  path_of (aTHX_ fh_or_path, p);
  return -1;
}

/* Keeps a target_of argument alive while the request runs. */
static void
hold_target (pTHX_ aio_req *req, SV *fh_or_path, const aio_path *p)
{
  if (!p->ptr)
    req->fh = newSVsv (fh_or_path);

  hold_path (req, p);
}

/* ---- results ----------------------------------------------------------- */

/* A mortal filehandle for a descriptor opened by aio_open. */
static SV *
new_fh (pTHX_ int fd, int access)
{
  GV *gv;
  char mode[32];
  int len;

  if (fd < 0)
    return &PL_sv_undef;

  gv = (GV *)sv_newmortal ();
  len = snprintf (mode, sizeof mode, "fd#%d", fd);
  gv_init_pvn (gv, gv_stashpvs ("IO::AIO", GV_ADD), mode, len, 0);

  len = snprintf (mode, sizeof mode, "%s&=%d",
                  access == O_RDONLY ? "<" : access == O_WRONLY ? ">" : "+<", fd);

  if (do_openn (gv, mode, len, 0, 0, 0, NULL, NULL, 0))
    return (SV *)gv;

  close (fd);
  return &PL_sv_undef;
}

static SV *
dir_listing (pTHX_ int with_types)
{
  uint32_t flags;
  size_t count = aiors_result_dir_count (pool, &flags), i;
  AV *av = newAV ();

  av_extend (av, count);

  for (i = 0; i < count; ++i)
    {
      const char *name;
      size_t name_len;
      uint64_t inode;
      int type;
      SV *namesv;

      aiors_result_dir_entry (pool, i, &name, &name_len, &inode, &type);
      namesv = newSVpvn (name, name_len);

      if (with_types)
        {
          AV *entry = newAV ();
          av_push (entry, namesv);
          av_push (entry, newSViv (type));
          av_push (entry, newSVuv (inode));
          namesv = newRV_noinc ((SV *)entry);
        }

      av_push (av, namesv);
    }

  return sv_2mortal (newRV_noinc ((SV *)av));
}

/* The names of a scandir listing as two mortal array refs: the entries of
 * type DT_DIR, and the others. */
static void
split_listing (pTHX_ SV **dirs, SV **nondirs)
{
  size_t count = aiors_result_dir_count (pool, NULL), i;
  AV *dir_av = newAV (), *other_av = newAV ();

  for (i = 0; i < count; ++i)
    {
      const char *name;
      size_t name_len;
      uint64_t inode;
      int type;

      aiors_result_dir_entry (pool, i, &name, &name_len, &inode, &type);
      av_push (type == DT_DIR ? dir_av : other_av, newSVpvn (name, name_len));
    }

  *dirs = sv_2mortal (newRV_noinc ((SV *)dir_av));
  *nondirs = sv_2mortal (newRV_noinc ((SV *)other_av));
}

/* aio_statvfs's hash (values as IVs, like IO::AIO), or undef. */
static SV *
statvfs_hash (pTHX_ const struct statvfs *f)
{
  HV *hv;

  if (!f)
    return &PL_sv_undef;

  hv = newHV ();
  hv_stores (hv, "bsize"  , newSViv (f->f_bsize  ));
  hv_stores (hv, "frsize" , newSViv (f->f_frsize ));
  hv_stores (hv, "blocks" , newSViv (f->f_blocks ));
  hv_stores (hv, "bfree"  , newSViv (f->f_bfree  ));
  hv_stores (hv, "bavail" , newSViv (f->f_bavail ));
  hv_stores (hv, "files"  , newSViv (f->f_files  ));
  hv_stores (hv, "ffree"  , newSViv (f->f_ffree  ));
  hv_stores (hv, "favail" , newSViv (f->f_favail ));
  hv_stores (hv, "fsid"   , newSViv (f->f_fsid   ));
  hv_stores (hv, "flag"   , newSViv (f->f_flag   ));
  hv_stores (hv, "namemax", newSViv (f->f_namemax));

  return sv_2mortal (newRV_noinc ((SV *)hv));
}

/* aio_wd's result: a new IO::AIO::WD object owning the descriptor, or undef. */
static SV *
wd_result (pTHX)
{
  size_t len;
  const char *path = aiors_result_bytes (pool, &len);
  SV *copy;

  if (!path)
    return &PL_sv_undef;

  /* taking the descriptor frees the path */
  copy = sv_2mortal (newSVpvn (path, len));
  return sv_2mortal (new_wd (aTHX_ aiors_result_take_fd (pool), SvPVX (copy), len));
}

/* Pushes the callback arguments of a done request. */
static void
push_results (pTHX_ aio_req *req, const aiors_event *ev)
{
  dSP;
#define RESULT_SV sv_2mortal (newSViv (ev->result))

  switch (req->kind)
    {
      case RESULT_NONE:
        break;

      case RESULT_FH:
        XPUSHs (new_fh (aTHX_ aiors_result_take_fd (pool), req->open_flags));
        break;

      case RESULT_STAT:
      case RESULT_LSTAT:
        {
          const struct stat *st = aiors_result_stat (pool);

          PL_laststype = req->kind == RESULT_LSTAT ? OP_LSTAT : OP_STAT;
          PL_laststatval = st ? 0 : -1;
          if (st)
            PL_statcache = *st;

          XPUSHs (RESULT_SV);
        }
        break;

      case RESULT_READ:
        {
          SV *buf = req->buffer;

          SvCUR_set (buf, req->buffer_offset + (ev->result > 0 ? ev->result : 0));
          if (SvLEN (buf)) /* no terminator past the end of a mapping */
            *SvEND (buf) = 0;
          SvPOK_only (buf);
          SvSETMAGIC (buf);
          XPUSHs (RESULT_SV);
        }
        break;

      case RESULT_NAMES:
      case RESULT_DIRENTS:
        {
          uint32_t flags = req->readdir_flags | READDIR_DENTS;

          aiors_result_dir_count (pool, &flags);
          XPUSHs (ev->errno_ ? &PL_sv_undef : dir_listing (aTHX_ req->readdir_flags & READDIR_DENTS));

          if (req->kind == RESULT_DIRENTS)
            XPUSHs (sv_2mortal (newSVuv (flags)));
        }
        break;

      case RESULT_GROUP:
        if (req->grp_result)
          {
            SSize_t i;

            EXTEND (SP, AvFILL (req->grp_result) + 1);
            for (i = 0; i <= AvFILL (req->grp_result); ++i)
              {
                SV **svp = av_fetch (req->grp_result, i, 0);
                PUSHs (svp ? *svp : &PL_sv_undef);
              }
          }
        break;

      case RESULT_FIEMAP:
        if (!ev->errno_)
          {
            const uint64_t *ext;
            ptrdiff_t count = aiors_result_extents (pool, &ext), i;

            if (count < 0)
              XPUSHs (RESULT_SV);
            else
              {
                AV *av = newAV ();

                av_extend (av, count);
                for (i = 0; i < count; ++i, ext += 4)
                  {
                    AV *e = newAV ();

                    av_push (e, newSVuv (ext[0]));
                    av_push (e, newSVuv (ext[1]));
                    av_push (e, newSVuv (ext[2]));
                    av_push (e, newSVuv (ext[3]));
                    av_push (av, newRV_noinc ((SV *)e));
                  }

                XPUSHs (sv_2mortal (newRV_noinc ((SV *)av)));
              }
          }
        break;

      case RESULT_SLURP:
        if (ev->result >= 0)
          {
            SV *buf = req->buffer;

            if (req->slurp_inplace)
              {
                SvCUR_set (buf, ev->result);
                if (SvLEN (buf))
                  *SvEND (buf) = 0;
                SvPOK_only (buf);
              }
            else
              {
                const char *data;
                ptrdiff_t len = aiors_result_data (pool, &data);

                sv_setpvn (buf, len > 0 ? data : "", len > 0 ? len : 0);
              }

            SvSETMAGIC (buf);
          }
        XPUSHs (RESULT_SV);
        break;

      case RESULT_STATVFS:
        XPUSHs (statvfs_hash (aTHX_ aiors_result_statvfs (pool)));
        break;

      case RESULT_STRING:
        {
          size_t len;
          const char *path = aiors_result_bytes (pool, &len);

          /* like IO::AIO: no argument at all on failure */
          if (path && len)
            XPUSHs (sv_2mortal (newSVpvn (path, len)));
        }
        break;

      case RESULT_WD:
        XPUSHs (wd_result (aTHX));
        break;

      case RESULT_INT:
      default:
        XPUSHs (RESULT_SV);
        break;
    }
#undef RESULT_SV

  PUTBACK;
}

/* Stores a done scan's (dirs, nondirs), or nothing and its errno, as the
 * result of the group aio_scandir returned: the group, which completes
 * after its member, then calls back with them. */
static void
result_into_group (pTHX_ aio_req *grp, const aiors_event *ev)
{
  AV *av = newAV ();

  if (!ev->errno_)
    {
      SV *dirs, *nondirs;

      split_listing (aTHX_ &dirs, &nondirs);
      av_push (av, SvREFCNT_inc_NN (dirs));
      av_push (av, SvREFCNT_inc_NN (nondirs));
    }

  SvREFCNT_dec ((SV *)grp->grp_result);
  grp->grp_result = av;
  grp->grp_errno = ev->errno_;
}

/* Runs the callback of a done request (unless cancelled) and frees it.
 * Returns true if the callback died. */
static int
finish (pTHX_ aio_req *req, const aiors_event *ev)
{
  int died = 0;

  /* the buffer is Perl's again, whatever happened */
  if (req->unpin_readonly)
    {
      SvREADONLY_off (req->buffer);
      req->unpin_readonly = 0;
    }

  req->grp_finished = 1;

  if (req->into_group && !ev->cancelled)
    result_into_group (aTHX_ req->into_group, ev);

  if (!ev->cancelled && req->callback)
    {
      dSP;

      ENTER;
      SAVETMPS;
      /* the callback may replace itself ($req->cb): keep it alive */
      SAVEFREESV (SvREFCNT_inc_NN (req->callback));
      PUSHMARK (SP);
      PUTBACK;
      push_results (aTHX_ req, ev);
      errno = req->kind == RESULT_GROUP ? req->grp_errno : ev->errno_;
      call_sv (req->callback, G_VOID | G_DISCARD | G_EVAL);
      died = SvTRUE (ERRSV);
      FREETMPS;
      LEAVE;
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

      if (!grp->feeder || grp->done)
        break;

      ENTER;
      SAVETMPS;
      /* the feeder may replace itself ($grp->feed): keep it alive */
      SAVEFREESV (SvREFCNT_inc_NN (grp->feeder));
      PUSHMARK (SP);
      XPUSHs (req_sv (aTHX_ grp, grp_stash));
      PUTBACK;
      /* like IO::AIO: a dying feeder only warns */
      call_sv (grp->feeder, G_VOID | G_DISCARD | G_EVAL | G_KEEPERR);
      FREETMPS;
      LEAVE;

      if (grp->done)
        break;

      if (!aiors_grp_feed_end (grp->core))
        {
          SvREFCNT_dec (grp->feeder);
          grp->feeder = NULL;
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
      else if (finish (aTHX_ (aio_req *)ev.token, &ev))
        return 1;
    }
}

static int
poll_cb (pTHX)
{
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

/* ---- buffers ----------------------------------------------------------- */

/* Whether `size` bytes can be allocated: sv_grow would end the process
 * with "Out of memory!" where a request can fail instead. */
static int
can_allocate (size_t size)
{
  void *probe;

  if (size < 16 * 1024 * 1024)
    return 1;

  probe = malloc (size);
  free (probe);
  return !!probe;
}

/* Checks the data scalar of aio_read/aio_write (croaking like IO::AIO)
 * and returns the address to transfer at; sets the byte count and the
 * offset into the scalar.  `*data` may be replaced by a private copy
 * (a value whose string is only a temporary, such as a reference, to be
 * written).  Sets `*fail` to an errno if the request cannot run (a
 * length too large to allocate). */
static char *
prepare_buffer (pTHX_ SV **datap, SV *length, IV dataoffset, int for_writing,
                STRLEN *len, STRLEN *offset, int *fail)
{
  SV *data = *datap;
  STRLEN svlen;
  char *svptr;
  UV want;

  *fail = 0;

  if (!for_writing)
    {
      /* un-share copy-on-write strings, croak on read-only ones, and make
       * the scalar a plain string (croaking for globs and the like), as
       * sysread does */
      sv_force_normal_flags (data, 0);
      if (!SvOK (data))
        sv_setpvs (data, "");
      if (!SvPOK (data))
        (void)SvPVbyte_force (data, svlen);
    }

  svptr = SvPVbyte (data, svlen);
  want = SvOK (length) ? SvUV (length) : 0;

  if (dataoffset < 0)
    dataoffset += svlen;

  if (dataoffset < 0 || (STRLEN)dataoffset > svlen)
    croak ("dataoffset outside of data scalar");

  if (for_writing)
    {
      if (!SvOK (length) || want + dataoffset > svlen || want > svlen)
        want = svlen - dataoffset;

      /* the string of a reference, glob or number-without-string is a
       * temporary: write from a copy that lives as long as the request */
      if (!SvPOK (data))
        {
          *datap = sv_2mortal (newSVpvn (svptr, svlen));
          svptr = SvPVX (*datap);
        }
    }
  else if (!SvPOK (data) || SvLEN (data) >= SvCUR (data))
    {
      if (want > (UV)SSize_t_MAX - dataoffset - 1)
        *fail = EINVAL;
      else if (!can_allocate (want + dataoffset + 1))
        *fail = ENOMEM;
      else
        svptr = sv_grow (data, want + dataoffset + 1);

      if (*fail)
        want = 0;
    }
  else if (SvCUR (data) < want + dataoffset || want > SvCUR (data))
    croak ("length + dataoffset outside of scalar, and cannot grow");

  *len = want;
  *offset = dataoffset;
  return svptr + dataoffset;
}

/* Perl must not move or free the string while a worker uses it: hold a
 * reference and make it read-only until the request is done. */
static void
pin_buffer (pTHX_ aio_req *req, SV *data, STRLEN offset)
{
  req->buffer = SvREFCNT_inc_NN (data);
  req->buffer_offset = offset;
  req->buffer_mapped = mapping_busy (aTHX_ data);

  if (!SvREADONLY (data))
    {
      SvREADONLY_on (data);
      req->unpin_readonly = 1;
    }
}

/* Memory requests (aio_msync, aio_mtouch, aio_mlock) leave a mapping
 * modifiable in place, as IO::AIO documents; other scalars are pinned
 * like read buffers so that Perl cannot move their string meanwhile. */
static void
pin_memory (pTHX_ aio_req *req, SV *data)
{
  if (mapping_live (aTHX_ data))
    {
      req->buffer = SvREFCNT_inc_NN (data);
      req->buffer_mapped = mapping_busy (aTHX_ data);
    }
  else
    pin_buffer (aTHX_ req, data, 0);
}

/* ---- shared bodies of the path and stat family (xs/paths.xsh) --------- */

/* An AIORS_ATTR_* request on a filehandle or path. */
static aio_req *
submit_attr (pTHX_ int which, SV *fh_or_path, int64_t a, int64_t b, SV *callback, enum result_kind kind)
{
  aio_path p;
  int fd = target_of (aTHX_ fh_or_path, &p);
  int pri;
  aio_req *req = req_new (aTHX_ callback, kind, &pri);

  hold_target (aTHX_ req, fh_or_path, &p);
  req->core = aiors_submit_attr (pool, (uintptr_t)req, pri, which, p.dir, p.ptr, p.len, fd, a, b);
  return req;
}

/* An AIORS_PATH2_* request (link, symlink, rename). */
static aio_req *
submit_path2 (pTHX_ int which, SV *oldpath, SV *newpath, uint32_t flags, SV *callback)
{
  aio_path from, to;
  int pri;
  aio_req *req;

  path_of (aTHX_ oldpath, &from);
  path_of (aTHX_ newpath, &to);
  if (which == AIORS_PATH2_RENAME)
    dot_to_base (&from);

  req = req_new (aTHX_ callback, RESULT_INT, &pri);
  hold_path (req, &from);
  hold_path (req, &to);
  req->core = aiors_submit_path2 (pool, (uintptr_t)req, pri, which, from.dir, from.ptr, from.len,
                                  to.dir, to.ptr, to.len, flags);
  return req;
}

typedef SV SV8;

MODULE = IO::AIO                PACKAGE = IO::AIO

PROTOTYPES: ENABLE

BOOT:
{
  HV *stash = gv_stashpvs ("IO::AIO", GV_ADD);

  req_stash = gv_stashpvs ("IO::AIO::REQ", GV_ADD);
  grp_stash = gv_stashpvs ("IO::AIO::GRP", GV_ADD);
  aiors_register_constants (aTHX_ stash);
  pool_init (aTHX);
  pthread_atfork (NULL, NULL, atfork_child);
}

void
reinit ()
	PROTOTYPE:
	CODE:
        /* in a forked child the old pool's threads are gone: abandon it */
        forked = 0;
        aiors_pool_forget (pool);
        pool_init (aTHX);

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
           idle_timeout = 3
	CODE:
        switch (ix)
          {
            case 0: aiors_set_min_parallel (pool, nthreads); break;
            case 1: aiors_set_max_parallel (pool, nthreads); break;
            case 2: aiors_set_max_idle     (pool, nthreads); break;
            case 3: aiors_set_idle_timeout (pool, nthreads); break;
          }

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
        int pri;
        aio_req *req;

        path_of (aTHX_ pathname, &p);
        req = req_new (aTHX_ callback, RESULT_FH, &pri);
        hold_path (req, &p);
        req->open_flags = flags & O_ACCMODE;
        req->core = aiors_submit_open (pool, (uintptr_t)req, pri, p.dir, p.ptr, p.len, flags, mode);
        REQ_RETURN (req);
}

void
aio_close (SV *fh, SV *callback = &PL_sv_undef)
	PPCODE:
{
        int fd = fileno_croak (aTHX_ fh, 0);
        int pri;
        aio_req *req = req_new (aTHX_ callback, RESULT_INT, &pri);

        req->fh = newSVsv (fh);
        req->core = aiors_submit_close (pool, (uintptr_t)req, pri, fd);
        REQ_RETURN (req);
}

void
aio_seek (SV *fh, SV *offset, int whence, SV *callback = &PL_sv_undef)
	PPCODE:
{
        int fd = fileno_croak (aTHX_ fh, 0);
        int pri;
        aio_req *req = req_new (aTHX_ callback, RESULT_INT, &pri);

        req->fh = newSVsv (fh);
        req->core = aiors_submit_seek (pool, (uintptr_t)req, pri, fd, SvIV (offset), whence);
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
        int pri;
        aio_req *req = req_new (aTHX_ callback, ix ? RESULT_INT : RESULT_READ, &pri);

        pin_buffer (aTHX_ req, data, buffer_offset);
        req->fh = newSVsv (fh);
        req->core = fail
          ? aiors_submit_fail (pool, (uintptr_t)req, pri, fail)
          : aiors_submit_rw (pool, (uintptr_t)req, pri, ix, fd,
                             SvOK (offset) ? (int64_t)SvIV (offset) : -1, buf, len);
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
        int pri;
        aio_req *req = req_new (aTHX_ callback, ix ? RESULT_LSTAT : RESULT_STAT, &pri);

        hold_target (aTHX_ req, fh_or_path, &p);
        req->core = aiors_submit_stat (pool, (uintptr_t)req, pri, p.dir, p.ptr, p.len, fd, !ix);
        REQ_RETURN (req);
}

void
aio_readdirx (SV8 *pathname, IV flags, SV *callback = &PL_sv_undef)
	PPCODE:
{
        aio_path p;
        int pri;
        aio_req *req;

        path_of (aTHX_ pathname, &p);
        req = req_new (aTHX_ callback, RESULT_DIRENTS, &pri);
        hold_path (req, &p);

        /* entries are always collected with their types (READDIR_DENTS),
         * but only handed out with them if the caller asked */
        req->readdir_flags = flags;
        req->core = aiors_submit_readdir (pool, (uintptr_t)req, pri, p.dir, p.ptr, p.len, flags | READDIR_DENTS);
        REQ_RETURN (req);
}

void
aio_scandir (SV8 *pathname, IV maxreq, SV *callback = &PL_sv_undef)
	PPCODE:
{
        /* A group (as in IO::AIO, so it can be cancelled whole) with one
         * member: the engine's scan, which reads the directory and sorts
         * its entries into directories and the rest.  $maxreq bounded
         * IO::AIO's chain of stat requests; the engine needs no limit. */
        aio_path p;
        int pri;
        aio_req *grp, *scan;

        PERL_UNUSED_VAR (maxreq);
        path_of (aTHX_ pathname, &p);
        grp = req_new (aTHX_ callback, RESULT_GROUP, &pri);
        grp->core = aiors_submit_group (pool, (uintptr_t)grp, pri);
        check_core (aTHX_ grp);

        Newxz (scan, 1, aio_req);
        scan->kind = RESULT_NONE;
        scan->into_group = grp;
        hold_path (scan, &p);
        scan->core = aiors_submit_scandir (pool, (uintptr_t)scan, pri, p.dir, p.ptr, p.len);
        check_core (aTHX_ scan);
        aiors_grp_add (grp->core, scan->core);

        PUTBACK;
        run_on_next_submit (aTHX);
        SPAGAIN;
        XPUSHs (req_sv (aTHX_ grp, grp_stash));
}

void
aio_mkdir (SV8 *pathname, int mode, SV *callback = &PL_sv_undef)
	PPCODE:
{
        aio_path p;
        int pri;
        aio_req *req;

        path_of (aTHX_ pathname, &p);
        req = req_new (aTHX_ callback, RESULT_INT, &pri);
        hold_path (req, &p);
        req->core = aiors_submit_path (pool, (uintptr_t)req, pri, AIORS_PATH_MKDIR, p.dir, p.ptr, p.len, mode);
        REQ_RETURN (req);
}

void
aio_unlink (SV8 *pathname, SV *callback = &PL_sv_undef)
	ALIAS:
           aio_unlink  = AIORS_PATH_UNLINK
           aio_rmdir   = AIORS_PATH_RMDIR
           aio_readdir = 0
	PPCODE:
{
        aio_path p;
        int pri;
        aio_req *req;

        path_of (aTHX_ pathname, &p);
        if (ix == AIORS_PATH_RMDIR)
          dot_to_base (&p);

        req = req_new (aTHX_ callback, ix ? RESULT_INT : RESULT_NAMES, &pri);
        hold_path (req, &p);
        req->core = ix
          ? aiors_submit_path (pool, (uintptr_t)req, pri, ix, p.dir, p.ptr, p.len, 0)
          : aiors_submit_readdir (pool, (uintptr_t)req, pri, p.dir, p.ptr, p.len, 0);
        REQ_RETURN (req);
}

void
aio_busy (double delay, SV *callback = &PL_sv_undef)
	PPCODE:
{
        int pri;
        aio_req *req = req_new (aTHX_ callback, RESULT_NONE, &pri);

        req->core = aiors_submit_busy (pool, (uintptr_t)req, pri, delay < 0. ? 0. : delay);
        REQ_RETURN (req);
}

void
aio_group (SV *callback = &PL_sv_undef)
	PPCODE:
{
        int pri;
        aio_req *req = req_new (aTHX_ callback, RESULT_GROUP, &pri);

        req->core = aiors_submit_group (pool, (uintptr_t)req, pri);
        check_core (aTHX_ req);
        PUTBACK;
        run_on_next_submit (aTHX);
        SPAGAIN;
        XPUSHs (req_sv (aTHX_ req, grp_stash));
}

void
aio_nop (SV *callback = &PL_sv_undef)
	ALIAS:
           aio_nop  = 0
           aio_sync = 1
	PPCODE:
{
        int pri;
        aio_req *req = req_new (aTHX_ callback, ix ? RESULT_INT : RESULT_NONE, &pri);

        req->core = ix ? aiors_submit_sync (pool, (uintptr_t)req, pri)
                       : aiors_submit_nop (pool, (uintptr_t)req, pri);
        REQ_RETURN (req);
}

int
aioreq_pri (int pri = NO_INIT)
	CODE:
        RETVAL = next_pri;
        if (items > 0)
          next_pri = pri < -4 ? -4 : pri > 4 ? 4 : pri;
	OUTPUT:
        RETVAL

void
aioreq_nice (int nice = 0)
	CODE:
        nice = next_pri - nice;
        next_pri = nice < -4 ? -4 : nice > 4 ? 4 : nice;

void
flush ()
	CODE:
        check_fork (aTHX);
        while (aiors_nreqs (pool))
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

const char *
engine ()
	PROTOTYPE:
	CODE:
        RETVAL = aiors_engine (pool);
	OUTPUT:
        RETVAL

INCLUDE: paths.xsh

INCLUDE: files.xsh

INCLUDE: helpers.xsh

void
_on_next_submit (SV *cb)
	CODE:
        SvREFCNT_dec (on_next_submit);
        on_next_submit = SvOK (cb) ? newSVsv (cb) : NULL;

PROTOTYPES: DISABLE

MODULE = IO::AIO                PACKAGE = IO::AIO::REQ

void
cancel (SV *self)
	CODE:
{
        aio_req *req = SvAIO_REQ (aTHX_ self);

        if (req)
          aiors_req_cancel (req->core);
}

void
cb (SV *self, SV *callback = NO_INIT)
	PPCODE:
{
        aio_req *req = SvAIO_REQ (aTHX_ self);

        if (!req)
          XSRETURN_EMPTY;

        if (GIMME_V != G_VOID)
          XPUSHs (req->callback ? sv_2mortal (newRV_inc (req->callback)) : &PL_sv_undef);

        if (items > 1)
          {
            SV *cb = get_cb (aTHX_ callback);

            SvREFCNT_dec (req->callback);
            req->callback = cb;
          }
}

MODULE = IO::AIO                PACKAGE = IO::AIO::GRP

void
add (SV *self, ...)
	PPCODE:
{
        aio_req *grp = SvAIO_REQ (aTHX_ self);
        int i;

        if (!grp)
          croak ("busy IO::AIO::REQ object expected");

        if (grp->grp_finished)
          croak ("cannot add requests to IO::AIO::GRP after the group finished");

        for (i = 1; i < items; ++i)
          {
            aio_req *req;

            if (GIMME_V != G_VOID)
              XPUSHs (sv_2mortal (newSVsv (ST (i))));

            req = SvAIO_REQ (aTHX_ ST (i));
            if (!req)
              continue;

            switch (aiors_grp_add (grp->core, req->core))
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
cancel_subs (SV *self)
	CODE:
{
        aio_req *grp = SvAIO_REQ (aTHX_ self);

        if (grp)
          {
            SvREFCNT_dec (grp->feeder);
            grp->feeder = NULL;
            aiors_grp_cancel_subs (grp->core);
          }
}

void
result (SV *self, ...)
	CODE:
{
        aio_req *grp = SvAIO_REQ (aTHX_ self);
        AV *av;
        int i;

        if (!grp)
          croak ("busy IO::AIO::REQ object expected");

        grp->grp_errno = errno;
        av = newAV ();
        av_extend (av, items - 1);
        for (i = 1; i < items; ++i)
          av_push (av, newSVsv (ST (i)));

        SvREFCNT_dec ((SV *)grp->grp_result);
        grp->grp_result = av;
}

void
errno (SV *self, int errorno = errno)
	CODE:
{
        aio_req *grp = SvAIO_REQ (aTHX_ self);

        if (!grp)
          croak ("busy IO::AIO::REQ object expected");

        grp->grp_errno = errorno;
}

void
limit (SV *self, int limit)
	CODE:
{
        aio_req *grp = SvAIO_REQ (aTHX_ self);

        if (!grp)
          croak ("busy IO::AIO::REQ object expected");

        aiors_grp_set_limit (grp->core, limit);
        if (aiors_grp_feed_begin (grp->core))
          feed_group (aTHX_ grp);
}

void
feed (SV *self, SV *callback = &PL_sv_undef)
	CODE:
{
        aio_req *grp = SvAIO_REQ (aTHX_ self);

        if (!grp)
          croak ("busy IO::AIO::REQ object expected");

        SvREFCNT_dec (grp->feeder);
        grp->feeder = newSVsv (callback);
        aiors_grp_set_feeder (grp->core, 1);

        /* a feeder without a limit would never run: default to 2 */
        if (aiors_grp_limit (grp->core) <= 0)
          aiors_grp_set_limit (grp->core, 2);

        if (aiors_grp_feed_begin (grp->core))
          feed_group (aTHX_ grp);
}

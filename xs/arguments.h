/*
 * arguments.h - Perl arguments: descriptors, working directories (IO::AIO::WD) and pathnames.
 * Part of the glue, included once by AIO.xs (in this order).
 */
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
hold_path (pTHX_ aio_req *req, const aio_path *p)
{
  if (p->wd)
    req_keep (aTHX_ req, SvREFCNT_inc_NN (p->wd));
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
    req_keep (aTHX_ req, newSVsv (fh_or_path));

  hold_path (aTHX_ req, p);
}

/*
 * helpers.h - C support for the synchronous helpers in helpers.xsh,
 * included by AIO.xs.
 */

#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <signal.h>

#ifndef SYS_pidfd_send_signal
# define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
# define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
# define SYS_pidfd_getfd 438
#endif

typedef int aio_rfd;                        /* a readable descriptor */
typedef int aio_wfd;                        /* a writable descriptor */
typedef const char *octet_string;           /* a byte string */
typedef const char *octet_string_ornull;    /* a byte string, or NULL for undef */

/* Seconds as an NV into a timespec, and back. */
static struct timespec
nv_to_timespec (NV secs)
{
  struct timespec ts;

  ts.tv_sec = (time_t)secs;
  ts.tv_nsec = (long)((secs - (NV)ts.tv_sec) * 1e9);
  if (ts.tv_nsec < 0)
    ts.tv_nsec = 0;
  else if (ts.tv_nsec > 999999999)
    ts.tv_nsec = 999999999;

  return ts;
}

static NV
timespec_to_nv (const struct timespec *ts)
{
  return (NV)ts->tv_sec + (NV)ts->tv_nsec * 1e-9;
}

/* A NULL-terminated vector of the strings in an array reference; the
 * memory lives until the end of the statement. */
static char **
string_vector (pTHX_ SV *ref, const char *croak_msg)
{
  AV *av;
  SSize_t n, i;
  char **vec;

  if (!SvROK (ref) || SvTYPE (SvRV (ref)) != SVt_PVAV)
    croak ("%s", croak_msg);

  av = (AV *)SvRV (ref);
  n = av_len (av) + 1;
  vec = (char **)SvPVX (sv_2mortal (newSV ((n + 1) * sizeof (char *))));

  for (i = 0; i < n; ++i)
    {
      SV **svp = av_fetch (av, i, 0);
      vec[i] = svp && *svp ? SvPVbyte_nolen (*svp) : (char *)"";
    }

  vec[n] = NULL;
  return vec;
}

/* Raises the soft descriptor limit to at least `want`, raising the hard
 * limit too where allowed.  Returns 0 on success; -1 (errno set) if the
 * limit cannot be reached, after raising it as far as possible. */
static int
raise_fdlimit (rlim_t want)
{
  struct rlimit rl;
  rlim_t lo, hi;

  if (getrlimit (RLIMIT_NOFILE, &rl))
    return -1;

  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
    return 0;

  rl.rlim_cur = want;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
    rl.rlim_max = want;

  if (!setrlimit (RLIMIT_NOFILE, &rl))
    return 0;

  if (errno != EPERM)
    return -1;

  /* the hard limit cannot go that high: find the highest it can reach
   * (never lowering it), then take the soft limit there */
  getrlimit (RLIMIT_NOFILE, &rl);
  lo = rl.rlim_max; /* known to work */
  hi = want;        /* known to fail */

  while (hi - lo > 1)
    {
      struct rlimit probe;

      probe.rlim_max = probe.rlim_cur = lo + (hi - lo) / 2;
      if (setrlimit (RLIMIT_NOFILE, &probe))
        hi = probe.rlim_max;
      else
        lo = probe.rlim_max;
    }

  rl.rlim_cur = rl.rlim_max = lo;
  setrlimit (RLIMIT_NOFILE, &rl);
  errno = EPERM;
  return -1;
}

/* The result of the last IO::AIO::statx, read by the stx_* accessors. */
static struct statx last_statx;

#define STX_AT(offset, type) (*(const type *)((const char *)&last_statx + (offset)))

/* ALIAS values of the stx_* accessors: where each field is */
#define STX_OFF_atime            offsetof (struct statx, stx_atime)
#define STX_OFF_attributes       offsetof (struct statx, stx_attributes)
#define STX_OFF_attributes_mask  offsetof (struct statx, stx_attributes_mask)
#define STX_OFF_blksize          offsetof (struct statx, stx_blksize)
#define STX_OFF_blocks           offsetof (struct statx, stx_blocks)
#define STX_OFF_btime            offsetof (struct statx, stx_btime)
#define STX_OFF_ctime            offsetof (struct statx, stx_ctime)
#define STX_OFF_dev_major        offsetof (struct statx, stx_dev_major)
#define STX_OFF_dev_minor        offsetof (struct statx, stx_dev_minor)
#define STX_OFF_gid              offsetof (struct statx, stx_gid)
#define STX_OFF_ino              offsetof (struct statx, stx_ino)
#define STX_OFF_mask             offsetof (struct statx, stx_mask)
#define STX_OFF_mtime            offsetof (struct statx, stx_mtime)
#define STX_OFF_nlink            offsetof (struct statx, stx_nlink)
#define STX_OFF_rdev_major       offsetof (struct statx, stx_rdev_major)
#define STX_OFF_rdev_minor       offsetof (struct statx, stx_rdev_minor)
#define STX_OFF_size             offsetof (struct statx, stx_size)
#define STX_OFF_uid              offsetof (struct statx, stx_uid)

/*
 * aiors.h - the C ABI of the IO::AIO engine (implemented in src/ffi/).
 *
 * Ownership and threading (see src/ffi/mod.rs for the full rules):
 *  - aiors_pool: created by aiors_pool_new, owned by the caller, used from
 *    one thread only; aiors_pool_successor abandons it for a new one (in
 *    a forked child, or after its threads were stopped).
 *  - aiors_req: a handle returned by aiors_req_new, owned by the caller
 *    and released with aiors_req_free (the request may still run); it is
 *    submitted once, by one aiors_submit_* (1: submitted, 0: failed).
 *  - aiors_req_user: room for the caller's record of the request, zeroed,
 *    never touched by the engine, gone once the handle is released.  Its
 *    address is the request's token: it comes back in exactly one
 *    AIORS_EVENT_DONE event.
 *  - aiors_result_*: describe the last DONE event until the next
 *    aiors_poll_next call.
 *  - read/write buffers stay valid and unmoved until the request is done;
 *    path strings are copied during the call.
 */
#ifndef AIORS_H
#define AIORS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

typedef struct aiors_pool aiors_pool;
typedef struct aiors_req aiors_req;

/* aiors_poll_next / aiors_poll_followup: the engine panicked (then, or in
 * an earlier call whose panic was not taken): take the message with
 * aiors_take_panic.  Every export catches panics; a caught panic also
 * makes an export return its failure value (NULL, 0, -1). */
#define AIORS_POLL_PANIC -2

#define AIORS_EVENT_DONE 1
#define AIORS_EVENT_FEED 2

#define AIORS_ADD_OK               0
#define AIORS_ADD_NOT_A_GROUP      1
#define AIORS_ADD_GROUP_FINISHED   2
#define AIORS_ADD_IN_ANOTHER_GROUP 3
#define AIORS_ADD_CYCLE            4

typedef struct {
  int kind;        /* AIORS_EVENT_* */
  int cancelled;   /* DONE: do not run the callback */
  uintptr_t token;
  int64_t result;  /* DONE: integer result, -1 on failure */
  int errno_;      /* DONE: errno on failure, 0 on success */
} aiors_event;

aiors_pool *aiors_pool_new (int *err);
void aiors_pool_free (aiors_pool *pool);
/* in a forked child: a fresh, unsignalled eventfd/pipe behind the
 * readiness descriptor, same number (safe in a pthread_atfork child
 * handler); 0 or errno */
int aiors_pool_renew_fileno (aiors_pool *pool);
/* abandons old (threads gone or stopped; NULL: none) for a new pool, which
 * takes over old's readiness descriptor, drained, if keep_fileno; NULL and
 * *err on failure, old left as it was */
aiors_pool *aiors_pool_successor (aiors_pool *old, int keep_fileno, int *err);

int    aiors_fileno   (aiors_pool *pool);
size_t aiors_nreqs    (aiors_pool *pool);
size_t aiors_nready   (aiors_pool *pool);
size_t aiors_npending (aiors_pool *pool);
size_t aiors_nthreads (aiors_pool *pool);
/* "threads" or "uring": the engine chosen at pool creation (static,
 * *len bytes, not NUL-terminated) */
const char *aiors_engine (aiors_pool *pool, size_t *len);

void aiors_set_min_parallel  (aiors_pool *pool, uint32_t threads);
void aiors_set_max_parallel  (aiors_pool *pool, uint32_t threads);
void aiors_set_max_idle      (aiors_pool *pool, uint32_t threads);
void aiors_set_idle_timeout  (aiors_pool *pool, uint32_t seconds);
void aiors_set_max_poll_reqs (aiors_pool *pool, uint32_t reqs);
void aiors_set_max_poll_time (aiors_pool *pool, double seconds);

void aiors_poll_begin (aiors_pool *pool);
int  aiors_poll_next  (aiors_pool *pool, aiors_event *event); /* 1 event, 0 empty, -1 budget used up, AIORS_POLL_PANIC */
/* after a callback died: the group bookkeeping of its request as events
 * (1), never a new result; 0 when done, the descriptor then exact;
 * AIORS_POLL_PANIC */
int  aiors_poll_followup (aiors_pool *pool, aiors_event *event);
/* returns at once while a panic waits to be reported */
void aiors_wait       (aiors_pool *pool);

/* the message of a caught panic not yet taken, NUL-terminated and cut to
 * size bytes, then forgotten; returns its length (>= 1), 0 if none */
size_t aiors_take_panic (char *buf, size_t size);
/* for tests: the next aiors_poll_next panics */
void aiors_test_panic_next_poll (void);

const struct stat *aiors_result_stat (aiors_pool *pool);
int    aiors_result_take_fd   (aiors_pool *pool);
/* a directory entry, read in place (src/ops/dir.rs: Entry) */
typedef struct {
  uint32_t name_offset;  /* into the names buffer */
  uint32_t name_len;
  uint64_t inode;
  uint8_t  type;         /* DT_* */
  uint8_t  engine_private;
} aiors_dirent;

_Static_assert (sizeof (aiors_dirent) == 24, "aiors_dirent matches src/ops/dir.rs");

size_t aiors_result_dir (aiors_pool *pool, const aiors_dirent **entries, const char **names, uint32_t *flags);

#define AIORS_REQ_USER_SIZE 40

int aiors_pri_clamp (int pri);  /* into -4..4, as aiors_req_new does */
aiors_req *aiors_req_new   (int pri, int group); /* NULL on failure */
void      *aiors_req_user  (const aiors_req *req);
void aiors_req_free        (aiors_req *req);
void aiors_req_cancel      (const aiors_req *req);
void aiors_grp_cancel_subs (const aiors_req *req);
int  aiors_grp_add         (const aiors_req *grp, const aiors_req *member); /* AIORS_ADD_* */
int  aiors_grp_finished    (const aiors_req *grp); /* 1: its completion was handed out, it takes no more */
void aiors_grp_set_limit   (const aiors_req *grp, int limit);
int  aiors_grp_limit       (const aiors_req *grp);
void aiors_grp_set_feeder  (const aiors_req *grp, int present);
int  aiors_grp_feed_begin  (const aiors_req *grp);
int  aiors_grp_feed_end    (const aiors_req *grp);

int aiors_submit_group   (aiors_pool *pool, const aiors_req *req);
int aiors_submit_nop     (aiors_pool *pool, const aiors_req *req);
/* a request that fails with `errno_` without running anything */
int aiors_submit_fail    (aiors_pool *pool, const aiors_req *req, int errno_);
int aiors_submit_sync    (aiors_pool *pool, const aiors_req *req);
/* secs < 0: 0; NaN, +inf or >= 2^63 (beyond a timespec): fails with EINVAL */
int aiors_submit_busy    (aiors_pool *pool, const aiors_req *req, double secs);
int aiors_submit_close   (aiors_pool *pool, const aiors_req *req, int fd);
int aiors_submit_seek    (aiors_pool *pool, const aiors_req *req, int fd, int64_t offset, int whence);
int aiors_submit_unlink  (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len);
int aiors_submit_rmdir   (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len);
int aiors_submit_mkdir   (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len, uint32_t mode);
int aiors_submit_open    (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len, int flags, uint32_t mode);
int aiors_submit_readdir (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len, uint32_t flags);
int aiors_submit_scandir (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len);
/* offset < 0: the descriptor's current position */
int aiors_submit_read    (aiors_pool *pool, const aiors_req *req, int fd, int64_t offset, char *buf, size_t len);
int aiors_submit_write   (aiors_pool *pool, const aiors_req *req, int fd, int64_t offset, const char *buf, size_t len);

/* ---- descriptor, sync and memory requests (src/ops/files.rs) ---- */

int aiors_submit_fsync           (aiors_pool *pool, const aiors_req *req, int fd);
int aiors_submit_fdatasync       (aiors_pool *pool, const aiors_req *req, int fd);
int aiors_submit_syncfs          (aiors_pool *pool, const aiors_req *req, int fd);
int aiors_submit_readahead       (aiors_pool *pool, const aiors_req *req, int fd, int64_t offset, size_t len);
int aiors_submit_fallocate       (aiors_pool *pool, const aiors_req *req, int fd, int mode, int64_t offset, size_t len);
int aiors_submit_sync_file_range (aiors_pool *pool, const aiors_req *req, int fd, int64_t offset, size_t nbytes, uint32_t flags);
int aiors_submit_sendfile (aiors_pool *pool, const aiors_req *req, int out_fd, int in_fd, int64_t offset, size_t len);
int aiors_submit_fiemap   (aiors_pool *pool, const aiors_req *req, int fd, uint64_t start, uint64_t len, uint32_t flags, int64_t count); /* count < 0: all */
/* the argument: an integer, or a buffer the kernel may read and write */
int aiors_submit_fcntl_int (aiors_pool *pool, const aiors_req *req, int fd, int cmd, intptr_t arg);
int aiors_submit_fcntl_buf (aiors_pool *pool, const aiors_req *req, int fd, int cmd, char *buf, size_t buf_len);
int aiors_submit_ioctl_int (aiors_pool *pool, const aiors_req *req, int fd, uint64_t request, intptr_t arg);
int aiors_submit_ioctl_buf (aiors_pool *pool, const aiors_req *req, int fd, uint64_t request, char *buf, size_t buf_len);
/* len 0: to the end; offset < 0: from the end.  Into a buffer of the
 * engine's (read with aiors_result_data), or into buf */
int aiors_submit_slurp_alloc (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len, int64_t offset, size_t len);
int aiors_submit_slurp_buf   (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len, int64_t offset, char *buf, size_t len);
int aiors_submit_msync    (aiors_pool *pool, const aiors_req *req, char *mem, size_t len, int flags);
int aiors_submit_mtouch   (aiors_pool *pool, const aiors_req *req, char *mem, size_t len, int modify);
int aiors_submit_mlock    (aiors_pool *pool, const aiors_req *req, char *mem, size_t len);
int aiors_submit_mlockall (aiors_pool *pool, const aiors_req *req, int flags);

ptrdiff_t aiors_result_extents (aiors_pool *pool, const uint64_t **extents); /* 4 words each; -1: none */
ptrdiff_t aiors_result_data    (aiors_pool *pool, const char **data);        /* -1: none */

/* IO::AIO::sendfile: synchronous, emulated like aio_sendfile; -1 and *err on failure */
int64_t aiors_sendfile (int out_fd, int in_fd, int64_t offset, size_t count, int *err);

/* ---- path and stat family: aio_stat, aio_statvfs, aio_utime, aio_chown, aio_chmod,
 * aio_truncate, aio_mknod, aio_link, aio_symlink, aio_rename(2),
 * aio_readlink, aio_realpath, aio_wd (src/ffi/paths.rs) ---- */

#include <sys/statvfs.h>

/* dir of a path relative to IO::AIO::INVALID_WD: the request fails with ENOENT */
#define AIORS_INVALID_WD -1

/* each of these works on a path (_path) or on a descriptor (_fd) */
/* follow 0: aio_lstat */
int aiors_submit_stat_path     (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len, int follow);
int aiors_submit_stat_fd       (aiors_pool *pool, const aiors_req *req, int fd, int follow);
int aiors_submit_statvfs_path  (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len);
int aiors_submit_statvfs_fd    (aiors_pool *pool, const aiors_req *req, int fd);
int aiors_submit_chmod_path    (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len, uint32_t mode);
int aiors_submit_chmod_fd      (aiors_pool *pool, const aiors_req *req, int fd, uint32_t mode);
int aiors_submit_truncate_path (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len, int64_t length);
int aiors_submit_truncate_fd   (aiors_pool *pool, const aiors_req *req, int fd, int64_t length);
/* an id of (uint32_t)-1 stays unchanged */
int aiors_submit_chown_path    (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len, uint32_t uid, uint32_t gid);
int aiors_submit_chown_fd      (aiors_pool *pool, const aiors_req *req, int fd, uint32_t uid, uint32_t gid);
/* times in seconds; both -1: now */
int aiors_submit_utime_path    (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len, double atime, double mtime);
int aiors_submit_utime_fd      (aiors_pool *pool, const aiors_req *req, int fd, double atime, double mtime);
int aiors_submit_mknod    (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len, uint32_t mode, uint64_t dev);
int aiors_submit_link     (aiors_pool *pool, const aiors_req *req, int from_dir, const char *from, size_t from_len, int to_dir, const char *to, size_t to_len);
/* target: the link's contents, verbatim (target_dir only matters as AIORS_INVALID_WD) */
int aiors_submit_symlink  (aiors_pool *pool, const aiors_req *req, int target_dir, const char *target, size_t target_len, int link_dir, const char *link, size_t link_len);
/* flags: RENAME_* */
int aiors_submit_rename   (aiors_pool *pool, const aiors_req *req, int from_dir, const char *from, size_t from_len, int to_dir, const char *to, size_t to_len, uint32_t flags);
int aiors_submit_readlink (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len);
/* base: canonical path of the working directory dir stands for, NULL for the process cwd */
int aiors_submit_realpath (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len, const char *base, size_t base_len);
/* opens the directory and resolves its canonical path; base as for realpath */
int aiors_submit_wd       (aiors_pool *pool, const aiors_req *req, int dir, const char *path, size_t path_len, const char *base, size_t base_len);
/* takes ownership of fd if >= 0 */
int aiors_submit_wd_close (aiors_pool *pool, const aiors_req *req, int fd);

const struct statvfs *aiors_result_statvfs (aiors_pool *pool);
/* readlink/realpath result, or an aio_wd's canonical path (then take its fd with aiors_result_take_fd) */
const char *aiors_result_bytes (aiors_pool *pool, size_t *len);

/* ---- statistics: IO::AIO::stats, stats_reset, slow_request (src/ffi/stats.rs) ----
 * Collection is off until aiors_stats_enable or aiors_stats_reset.  A
 * snapshot (aiors_stats_new, NULL while off) is the caller's until
 * aiors_stats_free; names point to static memory. */

typedef struct aiors_stats aiors_stats;

typedef struct {
  uint64_t count;
  double sum, min, max, p50, p90, p99;  /* seconds */
} aiors_times;

typedef struct {
  const char *name;     /* the kind (aio_<name>), not NUL-terminated; empty for the total */
  size_t name_len;
  uint64_t submitted, completed, failed, cancelled;  /* completed: callback called, failed included */
  uint64_t on_threads, on_ring;
  aiors_times queued, executing;
} aiors_op_stats;

/* EngineCounters in src/stats.rs, field for field */
typedef struct {
  uint64_t threads_started, threads_exited, wakeups, sleeps, watches, spins, given_back, ring_submitted, ring_kicked;
} aiors_engine_counters;

typedef struct {
  const char *op;       /* not NUL-terminated */
  size_t op_len;
  double queued, executing;  /* seconds */
  const char *path;     /* what the request worked on: a path (not NUL-terminated) ... */
  size_t path_len;
  int fd;               /* ... or a descriptor; NULL and -1 for neither */
} aiors_done_times;

void aiors_stats_enable (aiors_pool *pool);
void aiors_stats_reset  (aiors_pool *pool);
aiors_stats *aiors_stats_new (aiors_pool *pool);
void aiors_stats_free   (aiors_stats *stats);
/* seconds since collection began or was reset */
double aiors_stats_elapsed (const aiors_stats *stats);
void aiors_stats_engine (const aiors_stats *stats, aiors_engine_counters *out);
/* index 0: all requests, 1 and on: each kind; 0 past the last */
int  aiors_stats_op     (const aiors_stats *stats, size_t index, aiors_op_stats *out);
/* the nth errno the requests of index failed with, and how often; 0 past the last */
int  aiors_stats_error  (const aiors_stats *stats, size_t index, size_t nth, int *errno_, uint64_t *count);
/* times of the last DONE event's request; 0 if not collected (valid until the next poll) */
int  aiors_result_times (aiors_pool *pool, aiors_done_times *out);

#endif

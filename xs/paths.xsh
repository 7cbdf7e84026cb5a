# paths.xsh: XSUBs of package IO::AIO, INCLUDEd by AIO.xs; must end in package IO::AIO with PROTOTYPES: ENABLE.
#
# The path and stat family (aio_statvfs ... aio_rename2) and working
# directories (aio_wd, IO::AIO::WD).  Requests on a filehandle or path
# start with target_req, those on two paths with two_paths_req
# (bodies.inc); pathnames go through path_of.

void
aio_statvfs (SV8 *fh_or_path, SV *callback = &PL_sv_undef)
	PPCODE:
{
        aio_path p;
        int fd;
        aio_req *req = target_req (aTHX_ fh_or_path, &p, &fd, callback, RESULT_STATVFS);

        check_submitted (aTHX_ req, p.ptr
          ? aiors_submit_statvfs_path (pool, req->core, p.dir, p.ptr, p.len)
          : aiors_submit_statvfs_fd (pool, req->core, fd));
        REQ_RETURN (req);
}

void
aio_utime (SV8 *fh_or_path, SV *atime, SV *mtime, SV *callback = &PL_sv_undef)
	PPCODE:
{
        /* undef is -1; both -1 means "now" */
        double at = SvOK (atime) ? SvNV (atime) : -1.;
        double mt = SvOK (mtime) ? SvNV (mtime) : -1.;
        aio_path p;
        int fd;
        aio_req *req = target_req (aTHX_ fh_or_path, &p, &fd, callback, RESULT_INT);

        check_submitted (aTHX_ req, p.ptr
          ? aiors_submit_utime_path (pool, req->core, p.dir, p.ptr, p.len, at, mt)
          : aiors_submit_utime_fd (pool, req->core, fd, at, mt));
        REQ_RETURN (req);
}

void
aio_truncate (SV8 *fh_or_path, SV *offset, SV *callback = &PL_sv_undef)
	PPCODE:
{
        int64_t length = SvOK (offset) ? (int64_t)SvIV (offset) : -1;
        aio_path p;
        int fd;
        aio_req *req = target_req (aTHX_ fh_or_path, &p, &fd, callback, RESULT_INT);

        check_submitted (aTHX_ req, p.ptr
          ? aiors_submit_truncate_path (pool, req->core, p.dir, p.ptr, p.len, length)
          : aiors_submit_truncate_fd (pool, req->core, fd, length));
        REQ_RETURN (req);
}

void
aio_chmod (SV8 *fh_or_path, int mode, SV *callback = &PL_sv_undef)
	PPCODE:
{
        aio_path p;
        int fd;
        aio_req *req = target_req (aTHX_ fh_or_path, &p, &fd, callback, RESULT_INT);

        check_submitted (aTHX_ req, p.ptr
          ? aiors_submit_chmod_path (pool, req->core, p.dir, p.ptr, p.len, (mode_t)mode)
          : aiors_submit_chmod_fd (pool, req->core, fd, (mode_t)mode));
        REQ_RETURN (req);
}

void
aio_chown (SV8 *fh_or_path, SV *uid, SV *gid, SV *callback = &PL_sv_undef)
	PPCODE:
{
        /* undef (like -1) leaves the id unchanged */
        uint32_t u = SvOK (uid) ? (uint32_t)SvIV (uid) : (uint32_t)-1;
        uint32_t g = SvOK (gid) ? (uint32_t)SvIV (gid) : (uint32_t)-1;
        aio_path p;
        int fd;
        aio_req *req = target_req (aTHX_ fh_or_path, &p, &fd, callback, RESULT_INT);

        check_submitted (aTHX_ req, p.ptr
          ? aiors_submit_chown_path (pool, req->core, p.dir, p.ptr, p.len, u, g)
          : aiors_submit_chown_fd (pool, req->core, fd, u, g));
        REQ_RETURN (req);
}

void
aio_mknod (SV8 *pathname, int mode, UV dev, SV *callback = &PL_sv_undef)
	PPCODE:
{
        aio_path p;
        aio_req *req;

        path_of (aTHX_ pathname, &p);
        req = req_new (aTHX_ callback, RESULT_INT);
        hold_path (aTHX_ req, &p);
        check_submitted (aTHX_ req, aiors_submit_mknod (pool, req->core, p.dir, p.ptr, p.len, (mode_t)mode, dev));
        REQ_RETURN (req);
}

# aio_symlink: the first path is only the link's contents; the link is made
# relative to the second path's working directory (the original uses the
# first path's, see "DIFFERENCES FROM IO::AIO 4.80" in the POD).

void
aio_link (SV8 *oldpath, SV8 *newpath, SV *callback = &PL_sv_undef)
	ALIAS:
           aio_link    = 0
           aio_symlink = 1
           aio_rename  = 2
	PPCODE:
{
        aio_path from, to;
        aio_req *req = two_paths_req (aTHX_ oldpath, newpath, &from, &to, ix == 2, callback);

        check_submitted (aTHX_ req, ix == 2
          ? aiors_submit_rename (pool, req->core, from.dir, from.ptr, from.len, to.dir, to.ptr, to.len, 0)
          : (ix ? aiors_submit_symlink : aiors_submit_link) (pool, req->core, from.dir, from.ptr, from.len,
                                                              to.dir, to.ptr, to.len));
        REQ_RETURN (req);
}

void
aio_rename2 (SV8 *oldpath, SV8 *newpath, int flags = 0, SV *callback = &PL_sv_undef)
	PPCODE:
{
        aio_path from, to;
        aio_req *req = two_paths_req (aTHX_ oldpath, newpath, &from, &to, 1, callback);

        check_submitted (aTHX_ req, aiors_submit_rename (pool, req->core, from.dir, from.ptr, from.len,
                                                           to.dir, to.ptr, to.len, flags));
        REQ_RETURN (req);
}

void
aio_wd (SV8 *pathname, SV *callback = &PL_sv_undef)
	ALIAS:
           aio_wd       = 0
           aio_readlink = 1
           aio_realpath = 2
	PPCODE:
{
        aio_path p;
        aio_req *req;

        path_of (aTHX_ pathname, &p);
        req = req_new (aTHX_ callback, ix ? RESULT_STRING : RESULT_WD);
        hold_path (aTHX_ req, &p);
        check_submitted (aTHX_ req, ix == 1
          ? aiors_submit_readlink (pool, req->core, p.dir, p.ptr, p.len)
          : (ix ? aiors_submit_realpath : aiors_submit_wd) (pool, req->core, p.dir, p.ptr, p.len, p.base, p.base_len));
        REQ_RETURN (req);
}

PROTOTYPES: DISABLE

MODULE = IO::AIO                PACKAGE = IO::AIO::WD

BOOT:
{
  HV *aio_stash = gv_stashpvs ("IO::AIO", GV_ADD);

  wd_stash = gv_stashpvs ("IO::AIO::WD", GV_ADD);
  newCONSTSUB (aio_stash, "CWD"       , new_wd (aTHX_ AT_FDCWD        , "", 0));
  newCONSTSUB (aio_stash, "INVALID_WD", new_wd (aTHX_ AIORS_INVALID_WD, "", 0));
}

void
DESTROY (SV *self)
	CODE:
{
        /* like IO::AIO, close with a request of the highest priority (so
         * descriptors do not pile up), leaving aioreq_pri alone; objects
         * without a descriptor (or forged ones) get an empty request */
        MAGIC *mg = SvROK (self) && SvTYPE (SvRV (self)) >= SVt_PVMG ? mg_findext (SvRV (self), PERL_MAGIC_ext, &wd_vtbl) : NULL;
        aio_wd *wd = mg ? (aio_wd *)mg->mg_ptr : NULL;
        int fd = wd ? wd->fd : -1;
        aio_req *req;

        /* called by hand on something else: croak like IO::AIO */
        if (!wd && !(SvROK (self) && SvOBJECT (SvRV (self)) && sv_derived_from (self, "IO::AIO::WD")))
          SvAIO_WD (aTHX_ self);

        if (fd >= 0)
          wd->fd = AIORS_INVALID_WD; /* a second DESTROY must not close it again */

        /* at program exit nobody polls any more: no request (and no
         * thread started for it), just close */
        if (PL_phase == PERL_PHASE_DESTRUCT)
          {
            if (fd >= 0)
              close (fd);
            XSRETURN_EMPTY;
          }

        req = req_alloc (aTHX_ RESULT_NONE, 4, NULL);
        check_submitted (aTHX_ req, aiors_submit_wd_close (pool, req->core, fd));
        PUTBACK;
        run_on_next_submit (aTHX);
        SPAGAIN;
}

MODULE = IO::AIO                PACKAGE = IO::AIO

PROTOTYPES: ENABLE

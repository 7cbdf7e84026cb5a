# files.xsh: XSUBs of package IO::AIO, INCLUDEd by AIO.xs; must end in package IO::AIO with PROTOTYPES: ENABLE.
#
# Descriptor, sync and memory requests.  Argument conversion only: the
# work happens in src/ops/files.rs.

void
aio_fsync (SV *fh, SV *callback = &PL_sv_undef)
	ALIAS:
           aio_fsync     = 0
           aio_fdatasync = 1
           aio_syncfs    = 2
	PPCODE:
{
        int fd;
        aio_req *req = fd_req (aTHX_ fh, &fd, callback, RESULT_INT);

        check_submitted (aTHX_ req, (ix == 0 ? aiors_submit_fsync
                                     : ix == 1 ? aiors_submit_fdatasync
                                     : aiors_submit_syncfs) (pool, req->core, fd));
        REQ_RETURN (req);
}

# aio_sync_file_range, aio_allocate and aio_readahead stay apart: an ALIAS
# shares one parameter list, but theirs differ in meaning and type, and the
# usage croak names them (as IO::AIO 4.80's does).

void
aio_sync_file_range (SV *fh, off_t offset, size_t nbytes, UV flags, SV *callback = &PL_sv_undef)
	PPCODE:
{
        int fd;
        aio_req *req = fd_req (aTHX_ fh, &fd, callback, RESULT_INT);

        check_submitted (aTHX_ req, aiors_submit_sync_file_range (pool, req->core, fd, offset, nbytes, flags));
        REQ_RETURN (req);
}

void
aio_allocate (SV *fh, int mode, off_t offset, size_t len, SV *callback = &PL_sv_undef)
	PPCODE:
{
        int fd;
        aio_req *req = fd_req (aTHX_ fh, &fd, callback, RESULT_INT);

        check_submitted (aTHX_ req, aiors_submit_fallocate (pool, req->core, fd, mode, offset, len));
        REQ_RETURN (req);
}

void
aio_readahead (SV *fh, off_t offset, size_t length, SV *callback = &PL_sv_undef)
	PPCODE:
{
        int fd;
        aio_req *req = fd_req (aTHX_ fh, &fd, callback, RESULT_INT);

        check_submitted (aTHX_ req, aiors_submit_readahead (pool, req->core, fd, offset, length));
        REQ_RETURN (req);
}

void
aio_sendfile (SV *out_fh, SV *in_fh, off_t in_offset, size_t length, SV *callback = &PL_sv_undef)
	PPCODE:
{
        int ifd = fileno_croak (aTHX_ in_fh, 0);
        int ofd = fileno_croak (aTHX_ out_fh, 1);
        aio_req *req = req_new (aTHX_ callback, RESULT_INT);

        req_keep (aTHX_ req, newSVsv (out_fh));
        req_keep (aTHX_ req, newSVsv (in_fh));
        check_submitted (aTHX_ req, aiors_submit_sendfile (pool, req->core, ofd, ifd, in_offset, length));
        REQ_RETURN (req);
}

void
aio_fiemap (SV *fh, off_t start, SV *length, U32 flags, SV *count, SV *callback = &PL_sv_undef)
	PPCODE:
{
        int fd = fileno_croak (aTHX_ fh, 0);
        uint64_t len = SvOK (length) ? (uint64_t)SvUV (length) : UINT64_MAX;
        aio_req *req = req_new (aTHX_ callback, RESULT_FIEMAP);

        req_keep (aTHX_ req, newSVsv (fh));
        check_submitted (aTHX_ req, aiors_submit_fiemap (pool, req->core, fd, start, len, flags,
                                         SvOK (count) ? (int64_t)SvIV (count) : -1));
        REQ_RETURN (req);
}

void
aio_ioctl (SV *fh, unsigned long request, SV8 *arg, SV *callback = &PL_sv_undef)
	ALIAS:
           aio_ioctl = 1
           aio_fcntl = 0
	PPCODE:
{
        int fd = fileno_croak (aTHX_ fh, 0);
        char *buf = NULL;
        STRLEN len = 0;
        intptr_t intarg;
        aio_req *req;

        /* a string (or undef) is a buffer the kernel may read and write:
         * its length stays, but at least 256 bytes (zero-filled past the
         * string) are made available, as perl's own fcntl/ioctl do; a
         * number is passed as it is */
        /* a literal undef (read-only, nothing to write back to): 0 */
        if (!SvOK (arg) && SvREADONLY (arg))
          ;
        else if (SvPOK (arg) || !SvNIOK (arg))
          {
            sv_force_normal_flags (arg, 0);
            if (!SvOK (arg))
              sv_setpvs (arg, "");
            buf = SvPVbyte_force (arg, len);
            if (len < 256)
              {
                buf = SvGROW (arg, 257);
                Zero (buf + len, 257 - len, char);
              }
            len = len < 256 ? 256 : len;
          }

        req = req_new (aTHX_ callback, RESULT_INT);
        if (buf)
          pin_buffer (aTHX_ req, arg, 0);
        req_keep (aTHX_ req, newSVsv (fh));
        intarg = buf || !SvOK (arg) ? 0 : (intptr_t)SvIV (arg);
        check_submitted (aTHX_ req, ix
          ? buf ? aiors_submit_ioctl_buf (pool, req->core, fd, request, buf, len)
                : aiors_submit_ioctl_int (pool, req->core, fd, request, intarg)
          : buf ? aiors_submit_fcntl_buf (pool, req->core, fd, (int)request, buf, len)
                : aiors_submit_fcntl_int (pool, req->core, fd, (int)request, intarg));
        REQ_RETURN (req);
}

void
aio_slurp (SV *pathname, off_t offset, UV length, SV8 *data, SV *callback = &PL_sv_undef)
	PPCODE:
{
        aio_path p;
        char *buf = NULL;
        aio_req *req;
        /* beyond any address space (a negative length, say): EFAULT, as
         * the original's read gets for -1 */
        int beyond = length > (UV)SSize_t_MAX - 1;

        path_of (aTHX_ pathname, &p);
        mapping_clear (aTHX_ data, "IO::AIO::aio_slurp");
        sv_force_normal_flags (data, 0);

        /* a known length reads straight into the scalar; one too large to
         * allocate is left to the engine, which fails with ENOMEM */
        if (length && !beyond && (SvPOK (data) && !SvLEN (data) || can_allocate (length + 1)))
          {
            if (!SvPOK (data) || SvLEN (data) >= SvCUR (data))
              buf = sv_grow (data, length + 1);
            else if (SvCUR (data) < length)
              croak ("length outside of scalar, and cannot grow");
            else
              buf = SvPVX (data);
          }

        req = req_new (aTHX_ callback, RESULT_SLURP);
        pin_buffer (aTHX_ req, data, 0);
        hold_path (aTHX_ req, &p);
        req_extra_of (req)->slurp_inplace = !!buf;
        check_submitted (aTHX_ req, beyond
          ? aiors_submit_fail (pool, req->core, EFAULT)
          : buf ? aiors_submit_slurp_buf (pool, req->core, p.dir, p.ptr, p.len, offset, buf, length)
          : aiors_submit_slurp_alloc (pool, req->core, p.dir, p.ptr, p.len, offset, length));
        REQ_RETURN (req);
}

void
aio_mtouch (SV8 *data, IV offset = 0, SV *length = &PL_sv_undef, int flags = -1, SV *callback = &PL_sv_undef)
	ALIAS:
           aio_mtouch = 0
           aio_msync  = 1
	PPCODE:
{
        size_t len;
        char *addr = mem_range (aTHX_ data, offset, length, &len);
        aio_mapping *m = mapping_live (aTHX_ data);
        aio_req *req;

        if (flags < 0)
          flags = ix ? MS_SYNC : 0;

        /* writing to a read-only mapping would kill the process */
        if (!ix && (flags & 1) && m && !(m->prot & PROT_WRITE))
          croak ("IO::AIO::aio_mtouch: cannot modify a read-only mapping");

        req = req_new (aTHX_ callback, RESULT_INT);
        pin_memory (aTHX_ req, data);
        check_submitted (aTHX_ req, ix
          ? aiors_submit_msync (pool, req->core, addr, len, flags)
          : aiors_submit_mtouch (pool, req->core, addr, len, flags & 1));
        REQ_RETURN (req);
}

void
aio_mlock (SV8 *data, IV offset = 0, SV *length = &PL_sv_undef, SV *callback = &PL_sv_undef)
	PPCODE:
{
        size_t len;
        char *addr = mem_range (aTHX_ data, offset, length, &len);
        aio_req *req = req_new (aTHX_ callback, RESULT_INT);

        pin_memory (aTHX_ req, data);
        check_submitted (aTHX_ req, aiors_submit_mlock (pool, req->core, addr, len));
        REQ_RETURN (req);
}

void
aio_mlockall (IV flags, SV *callback = &PL_sv_undef)
	PPCODE:
{
        aio_req *req = req_new (aTHX_ callback, RESULT_INT);

        check_submitted (aTHX_ req, aiors_submit_mlockall (pool, req->core, flags));
        REQ_RETURN (req);
}

MODULE = IO::AIO                PACKAGE = IO::AIO

PROTOTYPES: ENABLE


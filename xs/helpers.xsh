# helpers.xsh: XSUBs of package IO::AIO, INCLUDEd by AIO.xs; must end in package IO::AIO with PROTOTYPES: ENABLE.
#
# The synchronous helpers: thin calls into libc, returning what IO::AIO
# returns (and leaving errno in $!).  C support lives in helpers.inc and
# mmap.inc.

int
fadvise (aio_rfd fh, off_t offset, off_t length, IV advice)
	CODE:
        RETVAL = posix_fadvise (fh, offset, length, advice);
	OUTPUT:
        RETVAL

IV
sendfile (aio_wfd ofh, aio_rfd ifh, off_t offset, size_t count)
	CODE:
{
        int err = 0;

        RETVAL = aiors_sendfile (ofh, ifh, offset, count, &err);
        if (RETVAL < 0)
          errno = err;
}
	OUTPUT:
        RETVAL

void
mmap (SV *scalar, STRLEN length, int prot, int flags, SV *fh = &PL_sv_undef, off_t offset = 0)
	PPCODE:
{
        int fd = -1;
        void *addr;

        mapping_clear (aTHX_ scalar, "IO::AIO::mmap");

        /* the direction IO::AIO asks the filehandle for (it tests the
         * flags, not prot, for PROT_WRITE: MAP_PRIVATE wants one open for
         * writing); the kernel checks the access mode itself */
        if (SvOK (fh))
          fd = fileno_croak (aTHX_ fh, flags & PROT_WRITE);

        sv_force_normal_flags (scalar, 0);
        addr = mmap (NULL, length, prot, flags, fd, offset);
        if (addr == MAP_FAILED)
          XSRETURN_NO;

        mapping_attach (aTHX_ scalar, addr, length, prot);
        XSRETURN_YES;
}

void
munmap (SV *scalar)
	CODE:
        mapping_clear (aTHX_ scalar, "IO::AIO::munmap");

void
mremap (SV *scalar, STRLEN new_length, int flags = MREMAP_MAYMOVE, IV new_address = 0)
	PPCODE:
{
        aio_mapping *m = mapping_live (aTHX_ scalar);
        void *addr;

        if (!m)
          croak ("IO::AIO::mremap: scalar not mapped by IO::AIO::mmap or improperly modified");

        if (m->busy)
          croak ("IO::AIO::mremap: the mapped scalar is in use by an outstanding request");

        addr = mremap (m->addr, m->len, new_length, flags, (void *)new_address);
        if (addr == MAP_FAILED)
          XSRETURN_NO;

        /* "0 but true" when the mapping stayed where it was */
        XPUSHs (addr == m->addr ? sv_2mortal (newSVpvs ("0 but true")) : &PL_sv_yes);
        m->addr = (char *)addr;
        m->len = new_length;
        SvPV_set (scalar, (char *)addr);
        SvCUR_set (scalar, new_length);
}

# advice_or_prot is mandatory after optional arguments: xsubpp would read
# it from beyond the arguments when it is missing, so it is read here
int
madvise (scalar, offset= 0, length= &PL_sv_undef, advice_or_prot)
        SV *scalar
        IV offset
        SV *length
        IV advice_or_prot = NO_INIT
	ALIAS:
           mprotect = 1
	CODE:
{
        size_t len;
        void *addr;

        if (items < 4)
          croak_xs_usage (cv, "scalar, offset= 0, length= &PL_sv_undef, advice_or_prot");
        advice_or_prot = SvIV (ST (3));

        addr = mem_range (aTHX_ scalar, offset, length, &len);

        /* Perl's own heap: the page-wide syscall would also hit whatever
         * shares the pages (mprotect, or madvise beyond the POSIX advice
         * values, crashes or zeroes other data), so only harmless advice */
        if (!memory_is_foreign (aTHX_ scalar)
            && (ix || advice_or_prot < 0 || advice_or_prot > POSIX_MADV_DONTNEED))
          {
            errno = EINVAL;
            RETVAL = ix ? -1 : EINVAL;
          }
        else
          {
            aio_mapping *m = mapping_live (aTHX_ scalar);

            page_align (&addr, &len);
            /* posix_madvise returns the error number, mprotect -1 and errno */
            RETVAL = ix ? mprotect (addr, len, advice_or_prot)
                        : posix_madvise (addr, len, advice_or_prot);

            /* remember what the mapping allows, for aio_mtouch's check */
            if (ix && !RETVAL && m)
              m->prot = (char *)addr <= m->addr && (char *)addr + len >= m->addr + m->len
                ? advice_or_prot : m->prot & advice_or_prot;
          }
}
	OUTPUT:
        RETVAL

int
munlock (SV *scalar, IV offset = 0, SV *length = &PL_sv_undef)
	CODE:
{
        size_t len;
        void *addr = mem_range (aTHX_ scalar, offset, length, &len);

        page_align (&addr, &len);
        RETVAL = munlock (addr, len);
}
	OUTPUT:
        RETVAL

int
mlockall (int flags)
	PROTOTYPE: $;
	CODE:
        RETVAL = mlockall (flags);
	OUTPUT:
        RETVAL

int
munlockall ()
	CODE:
        RETVAL = munlockall ();
	OUTPUT:
        RETVAL

void
st_xtime ()
	ALIAS:
           st_atime = 0x01
           st_mtime = 0x02
           st_ctime = 0x04
           st_btime = 0x08
           st_xtime = 0x0f
	PPCODE:
        /* from perl's stat cache (the last stat, lstat or aio_stat);
         * Linux's struct stat has no birth time */
        EXTEND (SP, 4);
        if (ix & 0x01) mPUSHn (PL_statcache.st_atim.tv_sec + 1e-9 * PL_statcache.st_atim.tv_nsec);
        if (ix & 0x02) mPUSHn (PL_statcache.st_mtim.tv_sec + 1e-9 * PL_statcache.st_mtim.tv_nsec);
        if (ix & 0x04) mPUSHn (PL_statcache.st_ctim.tv_sec + 1e-9 * PL_statcache.st_ctim.tv_nsec);
        if (ix & 0x08) mPUSHn (0.);

void
st_xtimensec ()
	ALIAS:
           st_atimensec = 0x01
           st_mtimensec = 0x02
           st_ctimensec = 0x04
           st_btimensec = 0x08
           st_xtimensec = 0x0f
           st_btimesec  = 0x10
           st_gen       = 0x20
	PPCODE:
        EXTEND (SP, 4);
        if (ix & 0x01) mPUSHi (PL_statcache.st_atim.tv_nsec);
        if (ix & 0x02) mPUSHi (PL_statcache.st_mtim.tv_nsec);
        if (ix & 0x04) mPUSHi (PL_statcache.st_ctim.tv_nsec);
        if (ix & 0x08) mPUSHi (0);
        if (ix & 0x10) mPUSHu (0);
        if (ix & 0x20) mPUSHu (0);

UV
major (UV dev)
	ALIAS:
           minor = 1
	CODE:
        RETVAL = ix ? minor (dev) : major (dev);
	OUTPUT:
        RETVAL

UV
makedev (UV maj, UV min)
	CODE:
        RETVAL = makedev (maj, min);
	OUTPUT:
        RETVAL

void
accept4 (aio_rfd rfh, SV *sockaddr, int salen, int flags)
	PPCODE:
{
        /* one byte more than asked for, to tell a truncated address */
        socklen_t len = salen ? salen + 1 : 0;
        char *buf = NULL;
        int fd;

        if (salen)
          {
            sv_force_normal_flags (sockaddr, 0);
            /* not SvUPGRADE: like IO::AIO, perl croaks for a scalar of a
             * higher type (a number that was used as a string, say) */
            sv_upgrade (sockaddr, SVt_PV);
            buf = SvGROW (sockaddr, len);
          }

        fd = accept4 (rfh, (struct sockaddr *)buf, salen ? &len : NULL, flags);

        if (fd >= 0 && salen > 0)
          {
            if (len > (socklen_t)salen + 1)
              len = salen + 1;

            SvPOK_only (sockaddr);
            SvCUR_set (sockaddr, len);
            SvSETMAGIC (sockaddr);
          }

        XPUSHs (new_fh (aTHX_ fd, O_RDWR));
}

ssize_t
splice (aio_rfd rfh, SV *off_in, aio_wfd wfh, SV *off_out, size_t length, unsigned int flags)
	CODE:
{
        loff_t in, out;

        if (SvOK (off_in))
          in = SvIV (off_in);
        if (SvOK (off_out))
          out = SvIV (off_out);

        RETVAL = splice (rfh, SvOK (off_in) ? &in : NULL, wfh, SvOK (off_out) ? &out : NULL, length, flags);
}
	OUTPUT:
        RETVAL

ssize_t
tee (aio_rfd rfh, aio_wfd wfh, size_t length, unsigned int flags)
	CODE:
        RETVAL = tee (rfh, wfh, length, flags);
	OUTPUT:
        RETVAL

int
pipesize (aio_rfd rfh, int new_size = -1)
	PROTOTYPE: $;$
	CODE:
        RETVAL = new_size >= 0 ? fcntl (rfh, F_SETPIPE_SZ, new_size) : fcntl (rfh, F_GETPIPE_SZ);
	OUTPUT:
        RETVAL

void
pipe2 (int flags = 0)
	PROTOTYPE: ;$
	PPCODE:
{
        int fds[2];

        if (!(flags ? pipe2 (fds, flags) : pipe (fds)))
          {
            EXTEND (SP, 2);
            PUSHs (new_fh (aTHX_ fds[0], O_RDONLY));
            PUSHs (new_fh (aTHX_ fds[1], O_WRONLY));
          }
}

void
pidfd_open (int pid, unsigned int flags = 0)
	PPCODE:
        XPUSHs (new_fh (aTHX_ syscall (SYS_pidfd_open, pid, flags), O_RDWR));

int
pidfd_send_signal (SV *pidfh, int sig, SV *siginfo = &PL_sv_undef, unsigned int flags = 0)
	CODE:
{
        int fd = fileno_croak (aTHX_ pidfh, 0);
        siginfo_t si;

        Zero (&si, 1, siginfo_t);

        if (SvOK (siginfo))
          {
            HV *hv;
            SV **svp;

            if (!SvROK (siginfo) || SvTYPE (SvRV (siginfo)) != SVt_PVHV)
              croak ("siginfo argument must be a hashref with 'code', 'pid', 'uid' and 'value_int' or 'value_ptr' members, caught");

            hv = (HV *)SvRV (siginfo);
            if ((svp = hv_fetchs (hv, "code", 0)))      si.si_code = SvIV (*svp);
            if ((svp = hv_fetchs (hv, "pid", 0)))       si.si_pid = SvIV (*svp);
            if ((svp = hv_fetchs (hv, "uid", 0)))       si.si_uid = SvIV (*svp);
            if ((svp = hv_fetchs (hv, "value_int", 0))) si.si_value.sival_int = SvIV (*svp);
            if ((svp = hv_fetchs (hv, "value_ptr", 0))) si.si_value.sival_ptr = INT2PTR (void *, SvIV (*svp));
          }

        RETVAL = syscall (SYS_pidfd_send_signal, fd, sig, SvOK (siginfo) ? &si : NULL, flags);
}
	OUTPUT:
        RETVAL

void
pidfd_getfd (SV *pidfh, int targetfd, unsigned int flags = 0)
	PPCODE:
{
        int fd = fileno_croak (aTHX_ pidfh, 0);

        XPUSHs (new_fh (aTHX_ syscall (SYS_pidfd_getfd, fd, targetfd, flags), O_RDWR));
}

void
eventfd (unsigned int initval = 0, int flags = 0)
	PPCODE:
        XPUSHs (new_fh (aTHX_ eventfd (initval, flags), O_RDWR));

void
timerfd_create (int clockid, int flags = 0)
	PPCODE:
        XPUSHs (new_fh (aTHX_ timerfd_create (clockid, flags), O_RDWR));

void
timerfd_settime (SV *fh, int flags, NV interval, NV value)
	PPCODE:
{
        int fd = fileno_croak (aTHX_ fh, 0);
        struct itimerspec its, old;

        its.it_interval = nv_to_timespec (interval);
        its.it_value = nv_to_timespec (value);

        if (!timerfd_settime (fd, flags, &its, &old))
          {
            EXTEND (SP, 2);
            mPUSHn (timespec_to_nv (&old.it_interval));
            mPUSHn (timespec_to_nv (&old.it_value));
          }
}

void
timerfd_gettime (SV *fh)
	PPCODE:
{
        int fd = fileno_croak (aTHX_ fh, 0);
        struct itimerspec cur;

        if (!timerfd_gettime (fd, &cur))
          {
            EXTEND (SP, 2);
            mPUSHn (timespec_to_nv (&cur.it_interval));
            mPUSHn (timespec_to_nv (&cur.it_value));
          }
}

void
memfd_create (octet_string pathname, int flags = 0)
	PPCODE:
        XPUSHs (new_fh (aTHX_ memfd_create (pathname, flags), O_RDWR));

int
fexecve (SV *fh, SV *args, SV *envs = &PL_sv_undef)
	CODE:
{
        extern char **environ;
        int fd = fileno_croak (aTHX_ fh, 0);
        char **argv = string_vector (aTHX_ args, "IO::AIO::fexecve: args must be an array of strings");
        char **envp = SvOK (envs)
          ? string_vector (aTHX_ envs, "IO::AIO::fexecve: envs must be an array of strings")
          : environ;

        RETVAL = fexecve (fd, argv, envp);
}
	OUTPUT:
        RETVAL

int
mount (octet_string special, octet_string path, octet_string fstype, UV flags = 0, octet_string_ornull data = 0)
	CODE:
        RETVAL = mount (special, path, fstype, flags, data);
	OUTPUT:
        RETVAL

int
umount (octet_string path, int flags = 0)
	CODE:
        RETVAL = flags ? umount2 (path, flags) : umount (path);
	OUTPUT:
        RETVAL

void
get_fdlimit ()
	PPCODE:
{
        struct rlimit rl;

        if (getrlimit (RLIMIT_NOFILE, &rl))
          XSRETURN_UNDEF;

        mXPUSHu (rl.rlim_cur == RLIM_INFINITY ? (UV)-1 : (UV)rl.rlim_cur);
}

void
min_fdlimit (UV limit = 0x7fffffffU)
	PPCODE:
        if (raise_fdlimit (limit))
          XSRETURN_UNDEF;
        XSRETURN_YES;

int
statx (SV8 *pathname, int flags, UV mask)
	CODE:
{
        aio_path p;

        path_of (aTHX_ pathname, &p);
        if (p.dir == AIORS_INVALID_WD)
          {
            /* like a request relative to IO::AIO::INVALID_WD */
            errno = ENOENT;
            RETVAL = -1;
          }
        else
          RETVAL = statx (p.dir, p.ptr, flags, mask & STATX_ALL, &last_statx);
}
	OUTPUT:
        RETVAL

U32
stx_mode ()
	PROTOTYPE:
	CODE:
        RETVAL = last_statx.stx_mode;
	OUTPUT:
        RETVAL

U32
stx_mask ()
	PROTOTYPE:
	ALIAS:
           stx_mask       = STX_OFF_mask
           stx_blksize    = STX_OFF_blksize
           stx_nlink      = STX_OFF_nlink
           stx_uid        = STX_OFF_uid
           stx_gid        = STX_OFF_gid
           stx_rdev_major = STX_OFF_rdev_major
           stx_rdev_minor = STX_OFF_rdev_minor
           stx_dev_major  = STX_OFF_dev_major
           stx_dev_minor  = STX_OFF_dev_minor
	CODE:
        RETVAL = STX_AT (ix, uint32_t);
	OUTPUT:
        RETVAL

UV
stx_attributes ()
	PROTOTYPE:
	ALIAS:
           stx_attributes      = STX_OFF_attributes
           stx_ino             = STX_OFF_ino
           stx_size            = STX_OFF_size
           stx_blocks          = STX_OFF_blocks
           stx_attributes_mask = STX_OFF_attributes_mask
	CODE:
        RETVAL = STX_AT (ix, uint64_t);
	OUTPUT:
        RETVAL

NV
stx_atime ()
	PROTOTYPE:
	ALIAS:
           stx_atime = STX_OFF_atime
           stx_btime = STX_OFF_btime
           stx_ctime = STX_OFF_ctime
           stx_mtime = STX_OFF_mtime
	CODE:
        RETVAL = STX_AT (ix, struct statx_timestamp).tv_sec + 1e-9 * STX_AT (ix, struct statx_timestamp).tv_nsec;
	OUTPUT:
        RETVAL

IV
stx_atimesec ()
	PROTOTYPE:
	ALIAS:
           stx_atimesec = STX_OFF_atime
           stx_btimesec = STX_OFF_btime
           stx_ctimesec = STX_OFF_ctime
           stx_mtimesec = STX_OFF_mtime
	CODE:
        RETVAL = STX_AT (ix, struct statx_timestamp).tv_sec;
	OUTPUT:
        RETVAL

U32
stx_atimensec ()
	PROTOTYPE:
	ALIAS:
           stx_atimensec = STX_OFF_atime
           stx_btimensec = STX_OFF_btime
           stx_ctimensec = STX_OFF_ctime
           stx_mtimensec = STX_OFF_mtime
	CODE:
        RETVAL = STX_AT (ix, struct statx_timestamp).tv_nsec;
	OUTPUT:
        RETVAL

MODULE = IO::AIO                PACKAGE = IO::AIO

PROTOTYPES: ENABLE


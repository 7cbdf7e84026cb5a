/*
 * results.h - Engine results as callback arguments.
 * Part of the glue, included once by AIO.xs (in this order).
 */
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

/* A new array of `count` elements, to be filled through AvARRAY (a
 * listing makes one per entry: the fewest allocations and checks). */
static AV *
new_filled_av (pTHX_ SSize_t count)
{
#ifdef newAV_alloc_x
  AV *av = count ? newAV_alloc_x (count) : newAV ();
#else
  AV *av = newAV ();

  if (count)
    av_extend (av, count - 1);
#endif
  AvFILLp (av) = count - 1;
  return av;
}

/* A listing's entry type as a shared read-only scalar, as IO::AIO hands
 * them out (one scalar per type instead of one per entry). */
static SV *
dirent_type_sv (pTHX_ unsigned type)
{
  static SV *cache[16];

  if (type >= sizeof cache / sizeof *cache)
    return newSVuv (type);

  if (!cache[type])
    {
      cache[type] = newSViv (type);
      SvREADONLY_on (cache[type]);
    }

  return SvREFCNT_inc_NN (cache[type]);
}

static SV *
dir_listing (pTHX_ int with_types)
{
  const aiors_dirent *entries;
  const char *names;
  size_t count = aiors_result_dir (pool, &entries, &names, NULL), i;
  AV *av = new_filled_av (aTHX_ count);
  SV **slot = AvARRAY (av);

  for (i = 0; i < count; ++i)
    {
      const aiors_dirent *e = entries + i;
      SV *namesv = newSVpvn (names + e->name_offset, e->name_len);

      if (with_types)
        {
          AV *entry = new_filled_av (aTHX_ 3);

          AvARRAY (entry)[0] = namesv;
          AvARRAY (entry)[1] = dirent_type_sv (aTHX_ e->type);
          AvARRAY (entry)[2] = newSVuv (e->inode);
          namesv = newRV_noinc ((SV *)entry);
        }

      slot[i] = namesv;
    }

  return sv_2mortal (newRV_noinc ((SV *)av));
}

/* The names of a scandir listing as two mortal array refs: the entries of
 * type DT_DIR, and the others. */
static void
split_listing (pTHX_ SV **dirs, SV **nondirs)
{
  const aiors_dirent *entries;
  const char *names;
  size_t count = aiors_result_dir (pool, &entries, &names, NULL), i;
  AV *dir_av = newAV (), *other_av = newAV ();
  AV *av = dir_av;

  /* the engine puts the directories first: size each array once */
  av_extend (dir_av, count);

  for (i = 0; i < count; ++i)
    {
      const aiors_dirent *e = entries + i;

      if (e->type != DT_DIR && av == dir_av)
        {
          av = other_av;
          av_extend (other_av, count - i);
        }

      av_push (av, newSVpvn (names + e->name_offset, e->name_len));
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
          SV *buf = req->extra->buffer; /* pinned at submission */

          SvCUR_set (buf, req->extra->buffer_offset + (ev->result > 0 ? ev->result : 0));
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
          uint32_t flags = EXTRA (req)->readdir_flags | READDIR_DENTS;

          aiors_result_dir (pool, NULL, NULL, &flags);
          XPUSHs (ev->errno_ ? &PL_sv_undef : dir_listing (aTHX_ EXTRA (req)->readdir_flags & READDIR_DENTS));

          /* like IO::AIO: the bits it keeps for itself (0x100, 0x200)
           * dropped, as a C int */
          if (req->kind == RESULT_DIRENTS)
            XPUSHs (sv_2mortal (newSViv ((I32)(flags & ~READDIR_PRIVATE))));
        }
        break;

      case RESULT_SPLIT:
        if (!ev->errno_)
          {
            SV *dirs, *nondirs;

            split_listing (aTHX_ &dirs, &nondirs);
            EXTEND (SP, 2);
            PUSHs (dirs);
            PUSHs (nondirs);
          }
        break;

      case RESULT_GROUP:
        if (EXTRA (req)->grp_result)
          {
            AV *values = req->extra->grp_result;
            SSize_t i;

            EXTEND (SP, AvFILL (values) + 1);
            for (i = 0; i <= AvFILL (values); ++i)
              {
                SV **svp = av_fetch (values, i, 0);
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
            SV *buf = req->extra->buffer; /* pinned at submission */

            if (req->extra->slurp_inplace)
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

  req_extra *extra = req_extra_of (grp);
  AV *old = extra->grp_result;

  /* replaced first: freeing may run a destructor (and any code) */
  extra->grp_result = av;
  extra->grp_errno = ev->errno_;
  SvREFCNT_dec ((SV *)old);
}

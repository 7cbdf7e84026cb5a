/*
 * buffers.h - Scalars that workers read or write: checked, pinned, unpinned.
 * Part of the glue, included once by AIO.xs (in this order).
 */
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
      /* beyond any address space (a negative length, say): EFAULT, as
       * the original's read gets for -1 */
      if (want > (UV)SSize_t_MAX - dataoffset - 1)
        *fail = EFAULT;
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
  req_extra *extra = req_extra_of (req);

  extra->buffer = SvREFCNT_inc_NN (data);
  extra->buffer_offset = offset;
  extra->buffer_mapped = mapping_busy (aTHX_ data);

  if (!SvREADONLY (data))
    {
      SvREADONLY_on (data);
      extra->unpin_readonly = 1;
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
      req_extra *extra = req_extra_of (req);

      extra->buffer = SvREFCNT_inc_NN (data);
      extra->buffer_mapped = mapping_busy (aTHX_ data);
    }
  else
    pin_buffer (aTHX_ req, data, 0);
}

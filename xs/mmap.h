/*
 * mmap.h - scalars over memory mappings (IO::AIO::mmap and friends),
 * included by AIO.xs.
 *
 * A mapped scalar is a plain string whose buffer is the mapping (SvLEN 0,
 * so Perl never frees or reallocates it in place), marked with ext magic
 * that records the mapping.  The mapping goes away:
 *  - when the scalar is freed (free hook),
 *  - when it is assigned something else (set hook: its buffer moved or it
 *    is no longer a string), unless a request still uses the memory, in
 *    which case that request's end unmaps it,
 *  - with IO::AIO::munmap.
 * Requests using the memory count themselves in `busy`; while it is
 * non-zero, munmap and mremap croak instead of pulling the memory away
 * from a worker.
 */

#include <sys/mman.h>

typedef struct {
  char *addr;     /* NULL once unmapped */
  size_t len;
  int prot;
  unsigned busy;  /* requests using the memory */
} aio_mapping;

static int mapping_set (pTHX_ SV *sv, MAGIC *mg);
static int mapping_free (pTHX_ SV *sv, MAGIC *mg);

static MGVTBL mapping_vtbl = { 0, mapping_set, 0, 0, mapping_free };

static aio_mapping *
mapping_of (pTHX_ SV *sv)
{
  MAGIC *mg = SvTYPE (sv) >= SVt_PVMG ? mg_findext (sv, PERL_MAGIC_ext, &mapping_vtbl) : NULL;

  return mg ? (aio_mapping *)mg->mg_ptr : NULL;
}

/* A live mapping that the scalar still shows, or NULL. */
static aio_mapping *
mapping_live (pTHX_ SV *sv)
{
  aio_mapping *m = mapping_of (aTHX_ sv);

  return m && m->addr && SvPOKp (sv) && SvPVX (sv) == m->addr ? m : NULL;
}

/* Unmaps (keeping errno); if the scalar still points into the mapping it
 * loses its string value, and with `undef_it` becomes undef. */
static void
mapping_unmap (pTHX_ SV *sv, aio_mapping *m, int undef_it)
{
  int saved = errno;

  if (!m->addr)
    return;

  if (SvPVX (sv) == m->addr)
    {
      SvREADONLY_off (sv);
      SvPV_set (sv, NULL);
      SvCUR_set (sv, 0);
      SvLEN_set (sv, 0);
      if (undef_it)
        SvOK_off (sv);
      else
        SvPOK_off (sv);
    }

  munmap (m->addr, m->len);
  m->addr = NULL;
  errno = saved;
}

static int
mapping_set (pTHX_ SV *sv, MAGIC *mg)
{
  aio_mapping *m = (aio_mapping *)mg->mg_ptr;

  /* assigned something else: the mapping is no longer reachable */
  if (m->addr && !m->busy && !(SvPOKp (sv) && SvPVX (sv) == m->addr))
    mapping_unmap (aTHX_ sv, m, 0);

  return 0;
}

static int
mapping_free (pTHX_ SV *sv, MAGIC *mg)
{
  mapping_unmap (aTHX_ sv, (aio_mapping *)mg->mg_ptr, 1);
  return 0;
}

/* munmap, and before a new mmap or aio_slurp: drop any mapping. */
static void
mapping_clear (pTHX_ SV *sv, const char *func)
{
  aio_mapping *m = mapping_of (aTHX_ sv);

  if (!m)
    return;

  if (m->busy)
    croak ("%s: the mapped scalar is in use by an outstanding request", func);

  sv_unmagicext (sv, PERL_MAGIC_ext, &mapping_vtbl);
}

/* Turns `sv` into a string over `len` bytes at `addr`. */
static void
mapping_attach (pTHX_ SV *sv, void *addr, size_t len, int prot)
{
  aio_mapping m;

  m.addr = (char *)addr;
  m.len = len;
  m.prot = prot;
  m.busy = 0;

  SvUPGRADE (sv, SVt_PVMG);
  if (SvLEN (sv))
    SvPV_free (sv);

  SvPV_set (sv, (char *)addr);
  SvCUR_set (sv, len);
  SvLEN_set (sv, 0);
  SvPOK_only (sv);

  /* perl copies (and later frees) the struct */
  sv_magicext (sv, NULL, PERL_MAGIC_ext, &mapping_vtbl, (const char *)&m, sizeof m);

  if (!(prot & PROT_WRITE))
    SvREADONLY_on (sv);
}

/* A request starts or stops using the memory of `sv`.  Returns whether
 * `sv` is a live mapping (and was counted). */
static int
mapping_busy (pTHX_ SV *sv)
{
  aio_mapping *m = mapping_live (aTHX_ sv);

  if (m)
    ++m->busy;

  return !!m;
}

static void
mapping_unbusy (pTHX_ SV *sv)
{
  aio_mapping *m = mapping_of (aTHX_ sv);

  if (m && m->busy && !--m->busy && m->addr && !(SvPOKp (sv) && SvPVX (sv) == m->addr))
    mapping_unmap (aTHX_ sv, m, 0); /* reassigned while in use */
}

/* Whether the string of `sv` lives outside Perl's heap: an IO::AIO
 * mapping, or memory some other module attached (SvLEN 0).  Page-wide
 * syscalls on anything else would hit neighbouring heap data. */
static int
memory_is_foreign (pTHX_ SV *sv)
{
  return mapping_live (aTHX_ sv)
         || (SvPOK (sv) && SvPVX (sv) && !SvLEN (sv) && !SvIsCOW (sv) && !SvREADONLY (sv));
}

/* The part of a scalar's string that a memory function works on:
 * `offset` (negative: from the end) and `length` (undef or too long: up
 * to the end), as IO::AIO computes it. */
static char *
mem_range (pTHX_ SV *sv, IV offset, SV *length, size_t *len)
{
  STRLEN svlen;
  char *addr = SvPVbyte (sv, svlen);
  UV want = SvOK (length) ? SvUV (length) : 0;

  /* the string of a reference, glob or plain number is a temporary that
   * is gone before a request runs: there is no memory to work on */
  if (!SvPOK (sv))
    {
      static char nothing[1];

      addr = nothing;
      svlen = 0;
    }

  if (offset < 0)
    offset += svlen;

  if (offset < 0 || (STRLEN)offset > svlen)
    croak ("offset outside of scalar");

  if (!SvOK (length) || want > svlen || want + offset > svlen)
    want = svlen - offset;

  *len = want;
  return addr + offset;
}

/* Rounds a range out to whole pages, as the memory syscalls want. */
static void
page_align (void **addr, size_t *len)
{
  uintptr_t mask = (uintptr_t)sysconf (_SC_PAGESIZE) - 1;
  uintptr_t adj = (uintptr_t)*addr & mask;

  *addr = (void *)((uintptr_t)*addr - adj);
  *len = (*len + adj + mask) & ~mask;
}

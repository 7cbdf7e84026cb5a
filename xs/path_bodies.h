/*
 * path_bodies.h - Shared bodies of the path and stat family (xs/paths.xsh).
 * Part of the glue, included once by AIO.xs (in this order).
 */
/* An AIORS_ATTR_* request on a filehandle or path. */
static aio_req *
submit_attr (pTHX_ int which, SV *fh_or_path, int64_t a, int64_t b, SV *callback, enum result_kind kind)
{
  aio_path p;
  int fd = target_of (aTHX_ fh_or_path, &p);
  aio_req *req = req_new (aTHX_ callback, kind);

  hold_target (aTHX_ req, fh_or_path, &p);
  check_submitted (aTHX_ req, aiors_submit_attr (pool, req->core, which, p.dir, p.ptr, p.len, fd, a, b));
  return req;
}

/* An AIORS_PATH2_* request (link, symlink, rename). */
static aio_req *
submit_path2 (pTHX_ int which, SV *oldpath, SV *newpath, uint32_t flags, SV *callback)
{
  aio_path from, to;
  aio_req *req;

  path_of (aTHX_ oldpath, &from);
  path_of (aTHX_ newpath, &to);
  if (which == AIORS_PATH2_RENAME)
    dot_to_base (&from);

  req = req_new (aTHX_ callback, RESULT_INT);
  hold_path (aTHX_ req, &from);
  hold_path (aTHX_ req, &to);
  check_submitted (aTHX_ req, aiors_submit_path2 (pool, req->core, which, from.dir, from.ptr, from.len,
                                  to.dir, to.ptr, to.len, flags));
  return req;
}

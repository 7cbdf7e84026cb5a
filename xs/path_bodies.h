/*
 * path_bodies.h - Shared bodies of the path and stat family (xs/paths.xsh).
 * Part of the glue, included once by AIO.xs (in this order).
 */
/* A new request on a filehandle or path: *p is the path (p->ptr NULL for
 * a filehandle) and *fd the descriptor, both held until it is done. */
static aio_req *
target_req (pTHX_ SV *fh_or_path, aio_path *p, int *fd, SV *callback, enum result_kind kind)
{
  aio_req *req;

  *fd = target_of (aTHX_ fh_or_path, p);
  req = req_new (aTHX_ callback, kind);
  hold_target (aTHX_ req, fh_or_path, p);
  return req;
}

/* A new request on two paths (link, symlink, rename), both held until it
 * is done; a rename of "." names the working directory by its path. */
static aio_req *
two_paths_req (pTHX_ SV *oldpath, SV *newpath, aio_path *from, aio_path *to, int is_rename, SV *callback)
{
  aio_req *req;

  path_of (aTHX_ oldpath, from);
  path_of (aTHX_ newpath, to);
  if (is_rename)
    dot_to_base (from);

  req = req_new (aTHX_ callback, RESULT_INT);
  hold_path (aTHX_ req, from);
  hold_path (aTHX_ req, to);
  return req;
}

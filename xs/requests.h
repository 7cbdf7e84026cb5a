/*
 * requests.h - The glue side of a request: allocation, the IO::AIO::REQ object, submission hooks.
 * Part of the glue, included once by AIO.xs (in this order).
 */
static SV *
get_cb (pTHX_ SV *callback)
{
  HV *stash;
  GV *gv;
  CV *cv;

  SvGETMAGIC (callback);
  if (!SvOK (callback))
    return NULL;

  cv = sv_2cv (callback, &stash, &gv, 0);
  if (!cv)
    croak ("%s: callback must be a CODE reference or another callable object", SvPV_nolen (callback));

  return SvREFCNT_inc_NN ((SV *)cv);
}

static void check_fork (pTHX);

/* Croaks about an internal error of the engine (`what` went wrong), with
 * the message of the panic behind it if there was one. */
static void
croak_internal (pTHX_ const char *what)
{
  char panic[512];

  if (aiors_take_panic (panic, sizeof panic))
    croak ("IO::AIO: internal error %s (engine panic: %s)", what, panic);

  croak ("IO::AIO: internal error %s", what);
}

/* A new request of priority `pri`, taking over the reference to
 * `callback`; its aio_req is the engine request's (zeroed) user area. */
static aio_req *
req_alloc (pTHX_ enum result_kind kind, int pri, SV *callback)
{
  aiors_req *core = aiors_req_new (pri, kind == RESULT_GROUP);
  aio_req *req = core ? (aio_req *)aiors_req_user (core) : NULL;

  if (!req)
    {
      aiors_req_free (core);
      SvREFCNT_dec (callback);
      croak_internal (aTHX_ "while making a request");
    }

  req->core = core;
  req->callback = callback;
  req->kind = kind;
  return req;
}

/* A request with aioreq_pri's priority (which it resets). */
static aio_req *
req_new (pTHX_ SV *callback, enum result_kind kind)
{
  SV *cb = get_cb (aTHX_ callback);
  int pri = next_pri;

  check_fork (aTHX);
  next_pri = 0;
  return req_alloc (aTHX_ kind, pri, cb);
}

/* The request's extras, made on first use. */
static req_extra *
req_extra_of (aio_req *req)
{
  if (!req->extra)
    {
      Newx (req->extra, 1, req_extra);
      Zero (req->extra, 1, req_extra);
    }

  return req->extra;
}

/* A group's feeder is done for good. */
static void
drop_feeder (pTHX_ aio_req *grp)
{
  if (grp->extra)
    {
      SV *old = grp->extra->feeder;

      /* cleared first: freeing may run a destructor (and any code) */
      grp->extra->feeder = NULL;
      SvREFCNT_dec (old);
    }
}

/* Keeps `sv` (whose reference the request takes over) alive until the
 * request is freed. */
static void
req_keep (pTHX_ aio_req *req, SV *sv)
{
  req_extra *extra = req_extra_of (req);

  if (!extra->keep[0])
    extra->keep[0] = sv;
  else if (!extra->keep[1])
    extra->keep[1] = sv;
  else
    croak ("IO::AIO: internal error: a request keeps more than two values alive");
}

/* Frees the request, whose aio_req is gone afterwards. */
static void
req_free (pTHX_ aio_req *req)
{
  if (req->self)
    {
      sv_unmagicext ((SV *)req->self, PERL_MAGIC_ext, &req_vtbl);
      SvREFCNT_dec ((SV *)req->self);
    }

  SvREFCNT_dec (req->callback);

  if (req->extra)
    {
      req_extra *extra = req->extra;

      if (extra->unpin_readonly)
        SvREADONLY_off (extra->buffer);

      if (extra->buffer_mapped)
        mapping_unbusy (aTHX_ extra->buffer);

      SvREFCNT_dec (extra->keep[0]);
      SvREFCNT_dec (extra->keep[1]);
      SvREFCNT_dec (extra->buffer);
      SvREFCNT_dec (extra->feeder);
      SvREFCNT_dec ((SV *)extra->grp_result);
      Safefree (extra);
    }

  /* last: the aio_req lives in the engine's request */
  aiors_req_free (req->core);
}

/* The IO::AIO::REQ (or ::GRP) object of a request, as a mortal. */
static SV *
req_sv (pTHX_ aio_req *req, HV *stash)
{
  if (!req->self)
    {
      req->self = newHV ();
      sv_magicext ((SV *)req->self, NULL, PERL_MAGIC_ext, &req_vtbl, (const char *)req, 0);
    }

  return sv_2mortal (sv_bless (newRV_inc ((SV *)req->self), stash));
}

/* The request behind an object; NULL once it is done. */
static aio_req *
SvAIO_REQ (pTHX_ SV *sv)
{
  MAGIC *mg;

  if (!SvROK (sv) || !SvOBJECT (SvRV (sv)) || !sv_derived_from (sv, "IO::AIO::REQ"))
    croak ("object of class IO::AIO::REQ expected");

  mg = mg_findext (SvRV (sv), PERL_MAGIC_ext, &req_vtbl);
  return mg && !((aio_req *)mg->mg_ptr)->done ? (aio_req *)mg->mg_ptr : NULL;
}

/* After an aiors_submit_*: croaks unless the request was submitted. */
static void
check_submitted (pTHX_ aio_req *req, int submitted)
{
  if (!submitted)
    {
      req_free (aTHX_ req);
      croak_internal (aTHX_ "while submitting a request");
    }
}

/* Finishes a submission: runs AnyEvent::AIO's hook, returns the object
 * unless called in void context. */
#define REQ_RETURN(req)                                          \
  STMT_START {                                                   \
    SV *req_obj_;                                                \
    PUTBACK;                                                     \
    req_obj_ = req_submitted (aTHX_ req, GIMME_V != G_VOID ? req_stash : NULL); \
    SPAGAIN;                                                     \
    if (req_obj_)                                                \
      XPUSHs (req_obj_);                                         \
  } STMT_END

static void run_on_next_submit (pTHX);

/* After a submission: makes the caller's object (of class `stash`; none
 * if NULL), then runs AnyEvent::AIO's hook.  In this order because the
 * hook may run any code, even code that finishes and frees the request:
 * its object then simply reports it as done. */
static SV *
req_submitted (pTHX_ aio_req *req, HV *stash)
{
  SV *obj = stash ? req_sv (aTHX_ req, stash) : NULL;

  run_on_next_submit (aTHX);
  return obj;
}

static void
run_on_next_submit (pTHX)
{
  if (on_next_submit)
    {
      dSP;
      SV *cb = sv_2mortal (on_next_submit);

      on_next_submit = NULL;
      PUSHMARK (SP);
      call_sv (cb, G_DISCARD | G_EVAL);
    }
}

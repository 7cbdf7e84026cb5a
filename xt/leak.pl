#!/usr/bin/perl
# xt/leak.pl - resident memory before and after many mixed requests
# (nop, stat, read, open/close, groups with feeders, cancellations).
#
#   perl -Mblib xt/leak.pl [--millions N] [--warmup N]
#
# Runs a warm-up round first (so that allocator pools and thread stacks
# are in place), then measures RSS, then N million requests, then RSS
# again.  Exits 1 if RSS grew by more than --tolerance KiB (default 4096).

use strict;
use warnings;

use Getopt::Long ();
use File::Temp ();
use IO::AIO;

my %opt = (millions => 1, warmup => 200_000, tolerance => 4096);
Getopt::Long::GetOptions (\%opt, "millions=f", "warmup=i", "tolerance=i") or die "usage: $0 [--millions N] [--warmup N] [--tolerance KiB]\n";

my $dir = File::Temp::tempdir ("aio-leak-XXXXXX", TMPDIR => 1, CLEANUP => 1);
chdir $dir or die;
open my $out, ">", "f" or die; print $out "x" x 8192; close $out;

sub rss_kib {
   open my $fh, "<", "/proc/self/status" or return -1;
   /^VmRSS:\s+(\d+)/ and return $1 for <$fh>;
   -1
}

my $count = 0;

sub batch {
   my ($n) = @_;
   open my $fh, "<", "f" or die;
   my $i = 0;
   while ($i < $n) {
      my $k = $i % 10;
      if ($k < 4) {
         aio_nop sub { ++$count };
         ++$i;
      } elsif ($k < 6) {
         aio_stat "f", sub { ++$count };
         ++$i;
      } elsif ($k == 6) {
         my $buf;
         aio_read $fh, 0, 4096, $buf, 0, sub { ++$count };
         ++$i;
      } elsif ($k == 7) {
         aio_open "f", IO::AIO::O_RDONLY, 0, sub { my $h = shift; ++$count; aio_close $h if $h };
         ++$i;
      } elsif ($k == 8) {
         # a group of 8 with a feeder
         my $left = 8;
         my $grp = aio_group sub { ++$count };
         $grp->limit (3);
         $grp->feed (sub { $left-- > 0 and $_[0]->add (aio_nop sub { ++$count }) });
         $i += 9;
      } else {
         # cancellations: a plain request and a group with members
         my $req = aio_stat "f", sub { ++$count };
         $req->cancel;
         my $grp = aio_group sub { ++$count };
         $grp->add (aio_nop, aio_stat "f") ;
         $grp->cancel;
         $i += 4;
      }
      IO::AIO::poll_cb if IO::AIO::nreqs > 256;
   }
   IO::AIO::flush;
}

batch ($opt{warmup});
my $before = rss_kib ();
my $total = int ($opt{millions} * 1_000_000);
my $t0 = time;
batch ($total);
my $after = rss_kib ();

printf "leak: %d requests (after %d warm-up), RSS before %d KiB, after %d KiB, growth %+d KiB, %d s\n",
   $total, $opt{warmup}, $before, $after, $after - $before, time - $t0;

exit ($after - $before > $opt{tolerance} ? 1 : 0);

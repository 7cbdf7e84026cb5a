#!/usr/bin/perl
# xt/soak.pl - mixed requests under load for a bounded time, every result
# checked against a synchronous recomputation.
#
#   perl -Mblib xt/soak.pl [--time SECONDS] [--outstanding N] [--seed N]
#
# Requests: stat, read, write (then read back), open/close, readdirx,
# groups with feeders, and cancellations (a cancelled request's callback
# must never run; every other callback must run exactly once).  The event
# loop style changes every second: a select() loop on poll_fileno with
# poll_cb, IO::AIO::poll, and IO::AIO::flush.  Prints the number of
# requests checked; exits 1 on the first wrong or missing result.

use strict;
use warnings;

use File::Temp ();
use Getopt::Long ();
use Time::HiRes ();
use IO::AIO;

my %opt = (time => 60, outstanding => 64, seed => time ^ $$);
Getopt::Long::GetOptions (\%opt, "time=f", "outstanding=i", "seed=i") or die "usage: $0 [--time S] [--outstanding N] [--seed N]\n";
srand $opt{seed};

my $dir = File::Temp::tempdir ("aio-soak-XXXXXX", TMPDIR => 1, CLEANUP => 1);
chdir $dir or die;

# fixtures: files of known content, a directory of known entries
my @files = map "data$_", 0 .. 7;
my %content;
for my $f (@files) {
   $content{$f} = join "", map chr (rand 256), 1 .. 1000 + int rand 70000;
   open my $fh, ">", $f or die; print $fh $content{$f}; close $fh;
}
mkdir "tree";
my @entries = map "e$_", 1 .. 50;
for (@entries) { open my $fh, ">", "tree/$_" or die }
mkdir "tree/sub$_" for 1 .. 5;
push @entries, map "sub$_", 1 .. 5;
my $entries = join ",", sort @entries;

my ($checked, $submitted, $cancelled, $id) = (0, 0, 0, 0);
my (%live, %cancelled_ids);

sub fail { print "soak: FAIL: @_ (seed $opt{seed})\n"; exit 1 }

# every callback goes through here: once, and never after a cancel
sub track {
   my ($check) = @_;
   my $me = ++$id;
   $live{$me} = 1;
   ++$submitted;
   ($me, sub {
      fail "callback of cancelled request $me ran" if $cancelled_ids{$me};
      delete $live{$me} or fail "callback of request $me ran twice";
      $check->(@_);
      ++$checked;
   })
}

sub cancel_it {
   my ($me, $req) = @_;
   $req->cancel;
   $cancelled_ids{$me} = 1;
   delete $live{$me} or fail "cancelled request $me had already completed";
   ++$cancelled;
}

my $wfile = 0;

sub submit_one {
   my $kind = int rand 8;
   my $f = $files[rand @files];

   if ($kind == 0) {
      my ($me, $cb) = track (sub {
         $_[0] == 0 or fail "stat $f: $!";
         my @a = stat _; my @b = stat $f;
         "@a[0,1,2,7]" eq "@b[0,1,2,7]" or fail "stat $f: @a[0,1,2,7] vs @b[0,1,2,7]";
      });
      return ($me, aio_stat $f, $cb);
   }
   if ($kind == 1) {
      open my $fh, "<", $f or die;
      my $len = length $content{$f};
      my $off = int rand $len;
      my $n = int rand 20000;
      my $buf = "";
      my ($me, $cb) = track (sub {
         my $want = substr $content{$f}, $off, $n;
         $_[0] == length $want or fail "read $f: got $_[0], want " . length $want;
         $buf eq $want or fail "read $f: wrong data";
         close $fh;
      });
      return ($me, aio_read $fh, $off, $n, $buf, 0, $cb);
   }
   if ($kind == 2) {
      my $name = "w" . ($wfile++ % 16) . "-$id";
      open my $fh, "+>", $name or die "$name: $!";
      my $data = join "", map chr (rand 256), 1 .. 1 + int rand 9000;
      my ($me, $cb) = track (sub {
         $_[0] == length $data or fail "write $name: $_[0] of " . length $data;
         sysseek $fh, 0, 0; sysread $fh, my $back, length ($data) + 10;
         $back eq $data or fail "write $name: read back differs";
         close $fh; unlink $name;
      });
      return ($me, aio_write $fh, 0, undef, $data, 0, $cb);
   }
   if ($kind == 3) {
      my ($me, $cb) = track (sub {
         my $fh = $_[0] or fail "open $f: $!";
         (stat $fh)[1] == (stat $f)[1] or fail "open $f: another file";
         my ($me2, $cb2) = track (sub { $_[0] == 0 or fail "close: $!" });
         aio_close $fh, $cb2;
      });
      return ($me, aio_open $f, IO::AIO::O_RDONLY, 0, $cb);
   }
   if ($kind == 4) {
      my ($me, $cb) = track (sub {
         my $list = $_[0] or fail "readdirx: $!";
         join (",", sort map $_->[0], @$list) eq $entries or fail "readdirx: wrong entries";
      });
      return ($me, aio_readdirx "tree", IO::AIO::READDIR_DENTS, $cb);
   }
   if ($kind == 5) {
      # a group with a feeder: K stats, the group's callback after all
      my $k = 1 + int rand 20;
      my ($fed, $done) = (0, 0);
      my ($me, $cb) = track (sub {
         $done == $k or fail "group: callback after $done of $k members";
      });
      my $grp = aio_group $cb;
      $grp->limit (1 + int rand 4);
      $grp->feed (sub {
         return if $fed >= $k;
         ++$fed;
         $_[0]->add (aio_stat $files[rand @files], sub { $_[0] == 0 or fail "group stat: $!"; ++$done });
      });
      return ($me, $grp);
   }
   if ($kind == 6) {
      my ($me, $cb) = track (sub { fail "nop got arguments" if @_ });
      return ($me, aio_nop $cb);
   }
   # a request cancelled at once or a moment later
   my ($me, $cb) = track (sub { });
   my $req = rand () < 0.5 ? aio_stat ($f, $cb) : IO::AIO::aio_busy (0.0001, $cb);
   return ($me, $req, 1);
}

my @styles = qw(select poll flush);
my %per_style;
my $start = Time::HiRes::time ();
my @pending_cancel;

while (Time::HiRes::time () - $start < $opt{time}) {
   my $style = $styles[int (Time::HiRes::time () - $start) % @styles];

   while (IO::AIO::nreqs () < $opt{outstanding}) {
      my ($me, $req, $cancel) = submit_one ();
      if ($cancel) {
         if (rand () < 0.5) { cancel_it ($me, $req) } else { push @pending_cancel, [$me, $req] }
      }
   }

   # cancel the delayed ones now (some will have completed: then not)
   for (splice @pending_cancel) {
      my ($me, $req) = @$_;
      cancel_it ($me, $req) if $live{$me};
   }

   if ($style eq "select") {
      my $rin = "";
      vec ($rin, IO::AIO::poll_fileno (), 1) = 1;
      select my $rout = $rin, undef, undef, 0.1;
      IO::AIO::poll_cb ();
   } elsif ($style eq "poll") {
      IO::AIO::poll ();
   } else {
      IO::AIO::flush ();
   }
   ++$per_style{$style};
}

IO::AIO::flush ();
fail "requests outstanding after flush: " . IO::AIO::nreqs () if IO::AIO::nreqs ();
fail "results lost for requests " . join (",", (sort { $a <=> $b } keys %live)[0 .. 9]) if %live;

printf "soak: %.0f s, %d requests submitted, %d results checked, %d cancelled, none lost (loop rounds: %s; seed %d)\n",
   Time::HiRes::time () - $start, $submitted, $checked, $cancelled,
   join (", ", map "$_ $per_style{$_}", sort keys %per_style), $opt{seed};

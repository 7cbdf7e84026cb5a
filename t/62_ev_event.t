# IO::AIO::poll_fileno watched by the event loops the documentation names,
# with IO::AIO::poll_cb as the watcher's callback:
#
#   EV::io   IO::AIO::poll_fileno, EV::READ, \&IO::AIO::poll_cb
#   Event->io (fd => IO::AIO::poll_fileno, poll => 'r', cb => \&IO::AIO::poll_cb)
#   Glib::IO->add_watch (IO::AIO::poll_fileno, 'in', sub { IO::AIO::poll_cb; 1 })
#
# Per loop: a few hundred requests complete through the loop with the right
# results, and once nothing is pending the watcher stays quiet (the
# descriptor is drained, no busy loop).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Test::More;
use File::Temp ();
use Fcntl ();

my %have = map +($_ => scalar eval "require $_; 1"), qw(EV Event Glib);

plan skip_all => "none of EV, Event and Glib is installed"
   unless grep $_, values %have;

my $tmp = File::Temp->newdir ("aioXXXXXX", TMPDIR => 1);
my $dir = "$tmp";

my @files;
for my $i (0 .. 99) {
   my $path = "$dir/f$i";
   open my $fh, ">:raw", $path or die "$path: $!";
   print $fh join "", map chr (($i + $_) & 255), 0 .. $i * 37;
   close $fh or die;
   push @files, $path;
}

sub slurp { open my $fh, "<:raw", $_[0] or die "$_[0]: $!"; local $/; <$fh> }

sub readable {
   my $rin = "";
   vec ($rin, IO::AIO::poll_fileno (), 1) = 1;
   select ($rin, undef, undef, 0) > 0
}

# submits stat + open/read/close for every file, plus a write; calls $done
# when the last callback has run; returns a checker
sub workload {
   my ($done) = @_;

   my $left = 0;
   my (%size, %data, @err);
   my $finish = sub { --$left or $done->() };

   for my $path (@files) {
      $left += 2;
      aio_stat $path, sub {
         $_[0] ? push @err, "stat $path: $!" : ($size{$path} = -s _);
         $finish->();
      };
      aio_open $path, Fcntl::O_RDONLY (), 0, sub {
         my ($fh) = @_ or do { push @err, "open $path: $!"; return $finish->() };
         my $buf = "";
         aio_read $fh, 0, 65536, $buf, 0, sub {
            $_[0] >= 0 ? ($data{$path} = $buf) : push @err, "read $path: $!";
            aio_close $fh, $finish;
         };
      };
   }

   my $out  = "$dir/out";
   my $want = "x" x 10000;
   $left++;
   aio_open $out, Fcntl::O_RDWR () | Fcntl::O_CREAT () | Fcntl::O_TRUNC (), 0600, sub {
      my ($fh) = @_ or do { push @err, "open $out: $!"; return $finish->() };
      aio_write $fh, 0, length $want, $want, 0, sub {
         $_[0] == length $want or push @err, "write: $_[0] $!";
         aio_close $fh, $finish;
      };
   };

   sub {
      my ($loop) = @_;
      is_deeply \@err, [], "$loop: no request failed";
      is scalar (grep { defined $size{$_} && $size{$_} == -s $_ } @files), scalar @files,
         "$loop: aio_stat sizes match";
      is scalar (grep { defined $data{$_} && $data{$_} eq slurp ($_) } @files), scalar @files,
         "$loop: aio_read contents match";
      is slurp ($out), $want, "$loop: aio_write wrote the file";
      is IO::AIO::nreqs (), 0, "$loop: nothing outstanding";
      ok !readable (), "$loop: poll_fileno is not readable once everything is handled";
   }
}

SKIP: {
   skip "EV is not installed", 9 unless $have{EV};

   my $aio_w = EV::io (IO::AIO::poll_fileno (), EV::READ (), \&IO::AIO::poll_cb);

   my $ok      = 1;
   my $timeout = EV::timer (60, 0, sub { $ok = 0; EV::break () });
   my $check   = workload (sub { EV::break () });
   EV::run ();
   ok $ok, "EV: the workload completed in the loop";
   $check->("EV");

   # quiet once drained: count wake-ups for a while
   my $calls = 0;
   $aio_w->cb (sub { ++$calls; IO::AIO::poll_cb () });
   my $t = EV::timer (0.2, 0, sub { EV::break () });
   EV::run ();
   is $calls, 0, "EV: the watcher does not fire without results";

   # and wakes up again for a single request
   my $nop;
   IO::AIO::aio_nop (sub { $nop = 1; EV::break () });
   EV::run ();
   ok $nop && $calls >= 1, "EV: a later request wakes the watcher ($calls call(s))";
}

SKIP: {
   skip "Event is not installed", 9 unless $have{Event};

   my $aio_w = Event->io (fd => IO::AIO::poll_fileno (), poll => 'r', cb => \&IO::AIO::poll_cb);

   my $ok      = 1;
   my $timeout = Event->timer (after => 60, cb => sub { $ok = 0; Event::unloop () });
   my $check   = workload (sub { Event::unloop () });
   Event::loop ();
   $timeout->cancel;
   ok $ok, "Event: the workload completed in the loop";
   $check->("Event");

   my $calls = 0;
   $aio_w->cb (sub { ++$calls; IO::AIO::poll_cb () });
   Event->timer (after => 0.2, cb => sub { $_[0]->w->cancel; Event::unloop () });
   Event::loop ();
   is $calls, 0, "Event: the watcher does not fire without results";

   my $nop;
   IO::AIO::aio_nop (sub { $nop = 1; Event::unloop () });
   Event::loop ();
   ok $nop && $calls >= 1, "Event: a later request wakes the watcher ($calls call(s))";
   $aio_w->cancel;
}

SKIP: {
   skip "Glib is not installed", 9 unless $have{Glib};

   my $calls = 0;
   my $count = 0;
   my $id = Glib::IO->add_watch (IO::AIO::poll_fileno (), 'in', sub {
      ++$calls if $count;
      IO::AIO::poll_cb ();
      1
   });

   my $loop    = Glib::MainLoop->new;
   my $ok      = 1;
   my $timeout = Glib::Timeout->add (60_000, sub { $ok = 0; $loop->quit; 0 });
   my $check   = workload (sub { $loop->quit });
   $loop->run;
   Glib::Source->remove ($timeout);
   ok $ok, "Glib: the workload completed in the loop";
   $check->("Glib");

   $count = 1;
   Glib::Timeout->add (200, sub { $loop->quit; 0 });
   $loop->run;
   is $calls, 0, "Glib: the watch does not fire without results";

   my $nop;
   IO::AIO::aio_nop (sub { $nop = 1; $loop->quit });
   $loop->run;
   ok $nop && $calls >= 1, "Glib: a later request wakes the watch ($calls call(s))";
   Glib::Source->remove ($id);
}

done_testing;

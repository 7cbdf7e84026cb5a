# AnyEvent::AIO on our IO::AIO: hundreds of concurrent aio_stat / aio_open /
# aio_read / aio_write / aio_close requests on a temporary tree, driven by
# condvars, each result checked against a synchronous recomputation.
#
# AnyEvent picks its event loop once per process, so the workload runs in a
# child process per model (PERL_ANYEVENT_MODEL=EV, then =Perl, AnyEvent's
# own pure-Perl loop); the child's TAP results are replayed here, prefixed
# with the model.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Test::More;

if (my $model = $ENV{AIOTEST_AE_CHILD}) {
   child ($model);
   exit 0;
}

eval { require AnyEvent; require AnyEvent::AIO; 1 }
   or plan skip_all => "AnyEvent::AIO is not installed: $@";

my @models = (
   [EV   => "AnyEvent::Impl::EV",   "EV"],
   [Perl => "AnyEvent::Impl::Perl", undef],
);

for (@models) {
   my ($model, $impl, $needs) = @$_;

 SKIP: {
      if ($needs && !eval "require $needs; 1") {
         skip "$needs is not installed", 1;
      }
      run_child ($model, $impl);
   }
}

done_testing;

#############################################################################
# parent: run this file as a child for one model and replay its results

sub run_child {
   my ($model, $impl) = @_;

   (my $blib = $INC{"IO/AIO.pm"}) =~ s{/lib/IO/AIO\.pm$}{};

   local $ENV{PERL_ANYEVENT_MODEL} = $model;
   local $ENV{AIOTEST_AE_CHILD}    = $impl;

   my $pid = open my $fh, "-|";
   defined $pid or die "fork: $!";

   unless ($pid) {
      open STDERR, ">&", \*STDOUT;
      exec $^X, "-I$blib/lib", "-I$blib/arch", $0
         or POSIX::_exit (127);
   }

   my ($plan, $seen, @diag) = (undef, 0);

   local $SIG{ALRM} = sub { kill KILL => $pid; die "child for $model timed out\n" };
   alarm 300;

   while (<$fh>) {
      chomp;
      if (/^(not )?ok \d+(?: - (.*))?$/) {
         ++$seen;
         ok !$1, "[$model] " . (defined $2 ? $2 : "");
      } elsif (/^1\.\.(\d+)/) {
         $plan = $1;
      } elsif (/^\s*#\s?(.*)/) {
         diag "[$model] $1";
      } elsif (length) {
         diag "[$model] $_";
      }
   }

   close $fh;
   alarm 0;

   is $?, 0, "[$model] child exited cleanly";
   ok defined $plan && $plan == $seen, "[$model] child ran its whole plan"
      or diag "plan " . (defined $plan ? $plan : "(none)") . ", seen $seen";
}

#############################################################################
# child: the workload on one AnyEvent model

sub slurp { open my $fh, "<:raw", $_[0] or die "$_[0]: $!"; local $/; <$fh> }

sub child {
   my ($impl) = @_;

   require AnyEvent;
   require AnyEvent::AIO;
   require File::Temp;
   require Fcntl;

   alarm 240;

   is $AnyEvent::MODEL, undef, "no event model chosen before the first request";

   my $dir = File::Temp->newdir ("aioXXXXXX", TMPDIR => 1);

   # the tree: 300 files of assorted sizes (0 B .. 64 KiB) in 6 directories
   my @files;
   for my $d (0 .. 5) {
      mkdir "$dir/d$d" or die "mkdir: $!";
      for my $f (0 .. 49) {
         my $n    = $d * 50 + $f;
         my $size = $n % 7 == 0 ? 0 : ($n * 7919) % 65536;
         my $unit = pack "C*", map +($n + $_ * 31) & 255, 0 .. 255;
         my $data = substr $unit x (1 + $size / 256), 0, $size;
         my $path = "$dir/d$d/f$f";
         open my $fh, ">:raw", $path or die "$path: $!";
         print $fh $data;
         close $fh or die "$path: $!";
         push @files, $path;
      }
   }

   # the first request detects the model through _on_next_submit, before
   # any event loop has run
   my $cv = AnyEvent->condvar;
   $cv->begin;
   my $first;
   IO::AIO::aio_nop (sub { $first = 1; $cv->end });
   is $AnyEvent::MODEL, $impl, "the first request chose the model $impl";
   ok do { no warnings "once"; $AnyEvent::AIO::WATCHER }, "AnyEvent::AIO installed its watcher";
   $cv->recv;
   ok $first, "aio_nop completed through the event loop";

   # phase 1: stat every file and read it back, all at once
   {
      my (%size, %data, %err);
      my $cv = AnyEvent->condvar;
      my $max_pending = 0;

      for my $path (@files) {
         $cv->begin;
         aio_stat $path, sub {
            if ($_[0]) {
               $err{$path} = "stat: $!";
            } else {
               $size{$path} = [-s _, -f _ ? 1 : 0, (stat _)[1]];
            }
            $cv->end;
         };

         $cv->begin;
         aio_open $path, Fcntl::O_RDONLY (), 0, sub {
            my ($fh) = @_;
            unless ($fh) {
               $err{$path} = "open: $!";
               return $cv->end;
            }
            my $buf = "";
            aio_read $fh, 0, 1 << 20, $buf, 0, sub {
               if ($_[0] < 0) {
                  $err{$path} = "read: $!";
               } elsif ($_[0] != length $buf) {
                  $err{$path} = "read returned $_[0], buffer has " . length $buf;
               } else {
                  $data{$path} = $buf;
               }
               aio_close $fh, sub {
                  $err{$path} = "close: $!" if $_[0];
                  $cv->end;
               };
            };
         };
      }

      $max_pending = IO::AIO::nreqs ();
      cmp_ok $max_pending, ">=", 300, "hundreds of requests outstanding at once ($max_pending)";

      $cv->recv;

      is_deeply \%err, {}, "no request failed";
      is scalar keys %size, scalar @files, "every file stat()ed";
      is scalar keys %data, scalar @files, "every file read";

      my ($bad_stat, $bad_data) = (0, 0);
      for my $path (@files) {
         my @st = stat $path;
         ++$bad_stat unless $size{$path} && $size{$path}[0] == $st[7]
                                         && $size{$path}[1] == 1
                                         && $size{$path}[2] == $st[1];
         ++$bad_data unless defined $data{$path} && $data{$path} eq slurp ($path);
      }
      is $bad_stat, 0, "aio_stat results match stat()";
      is $bad_data, 0, "aio_read contents match the files";
      is IO::AIO::nreqs (), 0, "nothing outstanding afterwards";
   }

   # phase 2: write 300 new files concurrently, then compare synchronously
   {
      my %err;
      my %want;
      my $cv = AnyEvent->condvar;

      for my $i (0 .. $#files) {
         my $path = "$dir/out$i";
         my $data = ("w$i:" x ($i % 40)) . ("\0\377" x $i);
         $want{$path} = $data;

         $cv->begin;
         aio_open $path, Fcntl::O_WRONLY () | Fcntl::O_CREAT () | Fcntl::O_TRUNC (), 0644, sub {
            my ($fh) = @_ or do { $err{$path} = "open: $!"; return $cv->end };

            # two writes at explicit offsets, second half first
            my $half = int (length ($data) / 2);
            aio_write $fh, $half, length ($data) - $half, $data, $half, sub {
               $_[0] == length ($data) - $half or $err{$path} = "write 2: $_[0] $!";
               aio_write $fh, 0, $half, $data, 0, sub {
                  $_[0] == $half or $err{$path} = "write 1: $_[0] $!";
                  aio_close $fh, sub {
                     $err{$path} = "close: $!" if $_[0];
                     $cv->end;
                  };
               };
            };
         };
      }

      $cv->recv;

      is_deeply \%err, {}, "no write request failed";
      my $bad = grep slurp ($_) ne $want{$_}, keys %want;
      is $bad, 0, "all " . (scalar keys %want) . " written files have the expected contents";
   }

   # phase 3: other watchers of the same loop keep running while requests
   # are in flight
   {
      my $ticks = 0;
      my $cv = AnyEvent->condvar;
      my $t = AnyEvent->timer (after => 0, interval => 0.01, cb => sub { ++$ticks });
      IO::AIO::aio_busy (0.2, sub { $cv->send ($ticks) });
      my $seen = $cv->recv;
      cmp_ok $seen, ">=", 2, "a timer of the same loop ticked while a request ran ($seen)";
   }

   # phase 4: errors arrive with $! set, through the loop
   {
      my $cv = AnyEvent->condvar;
      aio_open "$dir/does/not/exist", Fcntl::O_RDONLY (), 0, sub {
         $cv->send (scalar @_ && defined $_[0], $! + 0);
      };
      my ($ok, $errno) = $cv->recv;
      ok !$ok, "opening a missing file fails";
      is $errno, Errno::ENOENT (), "with ENOENT";
   }

   done_testing;
}

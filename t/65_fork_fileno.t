# Forking after the module was used: a child gets a pool of its own behind
# the same poll_fileno number, so that the watcher an event loop registered
# before the fork (AnyEvent::AIO registers one when it loads) keeps
# working in the child, and nothing of the parent's (a readable descriptor,
# waiting results, requests in flight) ever shows there.
#
# The event-loop part runs in a child process per AnyEvent model (EV, with
# loop_fork in each worker as libev requires, and AnyEvent's pure-Perl
# loop); that process uses the module, then forks workers that each serve
# requests one at a time while it idles in its loop.  Its TAP lines are
# replayed here, prefixed with the model.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Test::More;
use POSIX ();

if (my $impl = $ENV{AIOTEST_FORK_CHILD}) {
   model_child ($impl);
   exit 0;
}

alarm 300;

my $fileno = IO::AIO::poll_fileno ();

# ---- a plain child, no event loop -----------------------------------------
{
   my $parent_cb = 0;
   IO::AIO::aio_nop (sub { ++$parent_cb });
   IO::AIO::poll_wait ();
   ok readable ($fileno), "a result waits in the parent: its descriptor is readable";

   my $report = in_child (sub {
      my @r = (readable ($fileno) ? "readable" : "quiet");
      push @r, "fileno=" . IO::AIO::poll_fileno ();
      my $stat;
      IO::AIO::aio_stat ($0, sub { $stat = $_[0] });
      push @r, (wait_readable ($fileno, 10) ? "signalled" : "silent");
      IO::AIO::poll_cb ();
      push @r, "stat=" . (defined $stat ? $stat : "none"), "parent_cb=$parent_cb";
      "@r"
   });
   is $report, "quiet fileno=$fileno signalled stat=0 parent_cb=0",
      "the child's descriptor has the same number, is not readable until its own result waits, and the parent's result stays the parent's";

   IO::AIO::poll_cb ();
   is $parent_cb, 1, "the parent handles its own result";
}

# ---- IO::AIO::reinit in a child, before and after using the module ---------
for my $when ("first", "after a request") {
   my $report = in_child (sub {
      my $n = 0;
      if ($when ne "first") {
         IO::AIO::aio_nop (sub { ++$n });
         IO::AIO::flush ();
      }
      IO::AIO::aio_busy (0.2, sub { ++$n }) if $when ne "first"; # dropped by reinit
      IO::AIO::reinit ();
      my @r = ("fileno=" . IO::AIO::poll_fileno (), "nreqs=" . IO::AIO::nreqs ());
      IO::AIO::aio_nop (sub { ++$n });
      push @r, (wait_readable ($fileno, 10) ? "signalled" : "silent");
      IO::AIO::poll_cb ();
      push @r, "n=$n";
      "@r"
   });
   my $n = $when eq "first" ? 1 : 2;
   is $report, "fileno=$fileno nreqs=0 signalled n=$n", "reinit in a child ($when) keeps the number and works";
}

# ---- reinit in the process itself ------------------------------------------
{
   my $n = 0;
   IO::AIO::aio_nop (sub { ++$n });
   IO::AIO::poll_wait ();
   IO::AIO::reinit ();
   is IO::AIO::poll_fileno (), $fileno, "reinit without a fork keeps the number";
   ok !readable ($fileno), "and drops the old readiness";
   is IO::AIO::nreqs (), 0, "and the old requests";
   IO::AIO::aio_nop (sub { ++$n });
   IO::AIO::flush ();
   is $n, 1, "the new pool works";
}

# ---- a callback forks in the middle of a round -----------------------------
{
   pipe my $r, my $w or die "pipe: $!";
   my @seen;
   my $pid;
   IO::AIO::aio_nop (sub {
      push @seen, "first";
      $pid = fork;
      defined $pid or die "fork: $!";
      return if $pid;
      # the child: the rest of the round is the parent's
      close $r;
      IO::AIO::flush ();
      syswrite $w, "@seen nreqs=" . IO::AIO::nreqs () . "\n";
      POSIX::_exit (0);
   });
   IO::AIO::aio_nop (sub { push @seen, "second" });
   my $deadline = time + 10;
   IO::AIO::poll_wait () while IO::AIO::npending () < 2 && time < $deadline;
   is IO::AIO::npending (), 2, "two results wait for one round";
   IO::AIO::poll_cb ();
   close $w;
   my $got = <$r>;
   waitpid $pid, 0;
   is $got, "first nreqs=0\n", "a child forked by a callback runs none of the round's other callbacks";
   is "@seen", "first second", "the parent finishes the round";
}

# ---- AnyEvent::AIO on both models ------------------------------------------
SKIP: {
   eval { require AnyEvent; require AnyEvent::AIO; 1 }
      or skip "AnyEvent::AIO is not installed", 1;

   for ([EV => "AnyEvent::Impl::EV", "EV"], [Perl => "AnyEvent::Impl::Perl", undef]) {
      my ($model, $impl, $needs) = @$_;
    SKIP: {
         skip "$needs is not installed", 1
            if $needs && !eval "require $needs; 1";
         run_model ($model, $impl);
      }
   }
}

done_testing;

#############################################################################

sub readable {
   my ($fd) = @_;
   wait_readable ($fd, 0)
}

sub wait_readable {
   my ($fd, $timeout) = @_;
   my $rin = "";
   vec ($rin, $fd, 1) = 1;
   select (my $rout = $rin, undef, undef, $timeout) > 0
}

# runs $code in a forked child and returns the line it returned
sub in_child {
   my ($code) = @_;

   pipe my $r, my $w or die "pipe: $!";
   my $pid = fork;
   defined $pid or die "fork: $!";

   unless ($pid) {
      close $r;
      my $out = eval { $code->() };
      $out = "died: $@" unless defined $out;
      $out =~ s/\n/ /g;
      syswrite $w, "$out\n";
      POSIX::_exit (0);
   }

   close $w;
   my $line = <$r>;
   waitpid $pid, 0;
   chomp $line if defined $line;
   $line
}

# runs this file for one AnyEvent model and replays its results
sub run_model {
   my ($model, $impl) = @_;

   (my $blib = $INC{"IO/AIO.pm"}) =~ s{/lib/IO/AIO\.pm$}{};

   local $ENV{PERL_ANYEVENT_MODEL} = $model;
   local $ENV{AIOTEST_FORK_CHILD}  = $impl;

   my $pid = open my $fh, "-|";
   defined $pid or die "fork: $!";

   unless ($pid) {
      open STDERR, ">&", \*STDOUT;
      exec $^X, "-I$blib/lib", "-I$blib/arch", $0
         or POSIX::_exit (127);
   }

   my ($plan, $seen) = (undef, 0);

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
   is $?, 0, "[$model] child exited cleanly";
   ok defined $plan && $plan == $seen, "[$model] child ran its whole plan";
}

#############################################################################
# one AnyEvent model: the parent uses the module, forks workers, idles

sub model_child {
   my ($impl) = @_;

   require AnyEvent;
   require AnyEvent::AIO;

   alarm 120;

   my $cv = AE::cv ();
   IO::AIO::aio_stat ($0, sub { $cv->send ($_[0]) });
   is $cv->recv, 0, "the parent's request completes through the event loop";
   is $AnyEvent::MODEL, $impl, "model $impl";

   my $fileno = IO::AIO::poll_fileno ();

   # at the fork: a result waits (the descriptor is readable) and a
   # request is in flight; both are the parent's alone
   my @parent_cbs;
   IO::AIO::aio_nop (sub { push @parent_cbs, "nop" });
   IO::AIO::poll_wait ();
   IO::AIO::aio_busy (0.3, sub { push @parent_cbs, "busy" });

   my @workers = map spawn_worker ($_, $fileno, \@parent_cbs), 1 .. 3;

   # each worker serves requests one at a time while this process idles in
   # its event loop; worker 2 called reinit at once, worker 3 calls it
   # after its first request
   my $size = -s $0;
   for my $round (1 .. 3) {
      for my $w (@workers) {
         if ($round == 2 && $w->{n} == 3) {
            is ask ($w, "reinit"), "reinit fileno=$fileno", "worker 3: reinit after a request keeps the number";
         }
         is ask ($w, "stat $0"), "0 $size fileno=$fileno",
            "worker $w->{n}, request $round: served through the watcher registered before the fork";
      }
   }

   for my $w (@workers) {
      is ask ($w, "quit"), "start=quiet parent_cbs=none", "worker $w->{n}: nothing of the parent's showed";
      # (EV reaps children itself: their status may be gone)
      waitpid $w->{pid}, 0;
   }

   my $done = AE::cv ();
   my $t = AE::timer (0, 0.01, sub { $done->send if @parent_cbs == 2 });
   my $timeout = AE::timer (10, 0, sub { $done->send });
   $done->recv;
   is "@parent_cbs", "nop busy", "the results waiting or in flight at the fork completed in the parent";

   done_testing;
}

sub spawn_worker {
   my ($n, $fileno, $parent_cbs) = @_;

   pipe my $cmd_r, my $cmd_w or die "pipe: $!";
   pipe my $ans_r, my $ans_w or die "pipe: $!";

   my $pid = fork;
   defined $pid or die "fork: $!";

   unless ($pid) {
      close $cmd_w;
      close $ans_r;
      my $ok = eval { worker ($n, $fileno, $parent_cbs, $cmd_r, $ans_w); 1 };
      syswrite $ans_w, "died: $@\n" unless $ok;
      POSIX::_exit ($ok ? 0 : 1);
   }

   close $cmd_r;
   close $ans_w;

   { n => $n, pid => $pid, cmd => $cmd_w, ans => $ans_r, buf => "" }
}

# sends a command and runs the event loop until the answer line arrives
sub ask {
   my ($w, $line) = @_;

   syswrite $w->{cmd}, "$line\n";

   my $cv = AE::cv ();
   my $io = AE::io ($w->{ans}, 0, sub {
      sysread $w->{ans}, $w->{buf}, 4096, length $w->{buf}
         or $cv->send ("eof");
      $cv->send ($1) if $w->{buf} =~ s/^(.*)\n//;
   });
   my $timeout = AE::timer (20, 0, sub { $cv->send ("timeout") });

   $cv->recv
}

sub worker {
   my ($n, $fileno, $parent_cbs, $cmd_r, $ans_w) = @_;

   EV::default_loop ()->loop_fork if $AnyEvent::MODEL eq "AnyEvent::Impl::EV";

   my $start = readable ($fileno) ? "readable" : "quiet";
   IO::AIO::reinit () if $n == 2;

   my $quit = AE::cv ();
   my $buf = "";
   my $io = AE::io ($cmd_r, 0, sub {
      sysread $cmd_r, $buf, 4096, length $buf
         or return $quit->send;

      while ($buf =~ s/^(.*)\n//) {
         my $cmd = $1;

         if ($cmd eq "quit") {
            syswrite $ans_w, "start=$start parent_cbs=" . (@$parent_cbs ? "@$parent_cbs" : "none") . "\n";
            $quit->send;
         } elsif ($cmd eq "reinit") {
            IO::AIO::reinit ();
            syswrite $ans_w, "reinit fileno=" . IO::AIO::poll_fileno () . "\n";
         } elsif ($cmd =~ /^stat (.*)/) {
            IO::AIO::aio_stat ($1, sub {
               syswrite $ans_w, "$_[0] " . (-s _) . " fileno=" . IO::AIO::poll_fileno () . "\n";
            });
         }
      }
   });

   $quit->recv;
}

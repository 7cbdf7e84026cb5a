# The request life cycle: priorities, cancellation, counters, readiness of
# poll_fileno, poll_cb budgets, dying callbacks, groups and feeders.
# Deterministic by saturation: one thread kept busy while requests queue.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use AIOTest;

BEGIN { use_ours (qw(:DEFAULT poll_fileno poll_cb nreqs nready npending nthreads max_parallel)) }

# waits (up to 30 s) until $n results wait for poll_cb
sub wait_pending {
   my ($n) = @_;
   my $deadline = time + 30;
   select undef, undef, undef, 0.001 while npending < $n && time < $deadline;
}

sub readable {
   my $rin = "";
   vec ($rin, poll_fileno, 1) = 1;
   select ($rin, undef, undef, $_[0] || 0) > 0
}

subtest "completion order follows aioreq_pri under saturation" => sub {
   my @order;
   saturate (0.1, sub { push @order, "busy" });
   for my $pri (-4, 0, 4, -1, 2, 4) {
      aioreq_pri $pri;
      aio_nop sub { push @order, $pri };
   }
   is aioreq_pri, 0, "aioreq_pri applies to one request only";
   drain ();
   is_deeply [grep $_ ne "busy", @order], [4, 4, 2, 0, -1, -4], "highest first, FIFO within";
   IO::AIO::min_parallel 4;
};

subtest "aioreq_pri and aioreq_nice clamp" => sub {
   aioreq_pri 100;
   is aioreq_pri, 4, "clamped to 4";
   aioreq_nice 3;
   is aioreq_pri, 1, "nice lowers";
   aioreq_nice (-10);
   is aioreq_pri, 4, "nice clamps";
   aioreq_pri 0;
};

subtest "cancelled requests never run and never call back" => sub {
   my $dir = File::Temp::tempdir (CLEANUP => 1);
   my $busy = saturate (0.1);
   my $called = 0;
   my $req = aio_mkdir "$dir/never", 0700, sub { $called++ };
   isa_ok $req, "IO::AIO::REQ";
   $req->cancel;
   drain ();
   is $called, 0, "no callback";
   ok !-e "$dir/never", "not executed";
   $req->cancel;
   pass "cancelling a finished request is harmless";
   IO::AIO::min_parallel 4;
};

subtest "void context returns nothing, REQ->cb replaces the callback" => sub {
   my @r = (aio_nop);
   is scalar @r, 1, "list context: the request";
   my $got;
   my $req = aio_nop sub { $got = "old" };
   is ref $req->cb (sub { $got = "new" }), "CODE", "cb returns the old callback";
   drain ();
   is $got, "new", "the new one ran";
   eval { IO::AIO::REQ::cancel ("nothing") };
   like $@, qr/object of class IO::AIO::REQ expected/, "non-objects croak";
   my $forged = bless {}, "IO::AIO::REQ";
   $forged->cancel;
   pass "a forged object is treated as finished";
};

subtest "counters and readiness of poll_fileno" => sub {
   max_parallel 0;
   aio_nop for 1 .. 3;
   is nreqs, 3, "nreqs";
   is nready, 3, "nready: queued, max_parallel 0 runs nothing";
   is nthreads, 0, "no threads";
   ok !readable (0.05), "not readable without results";
   IO::AIO::min_parallel 1;   # max_parallel only lowers the limit
   IO::AIO::poll_wait;        # (threads start on submission or polling)
   wait_pending (3);
   is npending, 3, "npending";
   ok readable (), "readable while results wait";
   IO::AIO::max_poll_reqs 2;
   is poll_cb, -1, "budget used up: -1";
   is nreqs, 1, "one left";
   ok readable (), "still readable";
   IO::AIO::max_poll_reqs 0;
   is poll_cb, 0, "all done: 0";
   ok !readable (), "not readable any more";
   IO::AIO::min_parallel 4;
};

subtest "a dying callback propagates without losing other results" => sub {
   my @ran;
   # one thread, so the results come in submission order
   saturate (0.01);
   aio_nop sub { push @ran, 1; die "boom\n" };
   aio_nop sub { push @ran, 2 };
   wait_pending (3);
   ok !eval { poll_cb; 1 }, "poll_cb dies";
   is $@, "boom\n", "with the callback's error";
   drain ();
   is_deeply \@ran, [1, 2], "the other result is still delivered";
   IO::AIO::min_parallel 4;
};

subtest "groups: completion after members, results, errno" => sub {
   my (@events, $grp, $inside, $inside_empty);
   $grp = aio_group sub {
      push @events, ["grp", @_, $! + 0];
      $inside = eval { $grp->add (aio_nop); 1 } ? "" : $@;
      $inside_empty = eval { $grp->add; 1 } ? "" : $@;
   };
   isa_ok $grp, "IO::AIO::GRP";
   add $grp aio_nop sub { push @events, "a" };
   $grp->add (IO::AIO::aio_busy 0.01, sub { push @events, "b" });
   $grp->result ("x", 42);
   $grp->errno (5);
   drain ();
   is_deeply \@events, ["a", "b", ["grp", "x", 42, 5]], "members first, then the group";
   like $inside, qr/^cannot add requests to IO::AIO::GRP after the group finished/,
      "adding from the group's own callback croaks";
   like $inside_empty, qr/^cannot add requests to IO::AIO::GRP after the group finished/,
      "even adding nothing";
   ok !eval { $grp->add (aio_nop); 1 }, "adding to a finished group croaks";
   like $@, qr/^busy IO::AIO::REQ object expected/, "as for any finished request";
   drain ();

   my $outer = aio_group;
   my $inner = aio_group;
   $outer->add ($inner);
   ok !eval { $inner->add ($outer); 1 }, "cycles croak instead of hanging";
   $outer->cancel;
   drain ();
};

subtest "feeders and limits" => sub {
   my ($fed, $done) = (0, 0);
   my $grp = aio_group sub { $done++ };
   $grp->limit (3);
   $grp->feed (sub {
      return if $fed >= 10;
      $fed++;
      $_[0]->add (IO::AIO::aio_busy 0);
   });
   is $fed, 3, "fed up to the limit at once";
   drain ();
   is $fed, 10, "fed until the feeder adds nothing";
   is $done, 1, "the group finished";

   my $paused = aio_group;
   $paused->limit (0);
   my $calls = 0;
   $paused->feed (sub { $calls++ });
   drain ();
   ok $calls >= 0, "limit 0 pauses feeding";

   my $cancelled = 0;
   my $grp2 = aio_group sub { $cancelled++ };
   my $member_ran = 0;
   $grp2->add (IO::AIO::aio_busy 0.05, sub { $member_ran++ }) for 1 .. 3;
   $grp2->cancel;
   drain ();
   is_deeply [$cancelled, $member_ran], [0, 0], "a cancelled group calls back neither itself nor members";
};

done_testing;

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

# our build in a fresh process, with run_both's errname ()
sub ours { run_ours ($AIOTest::BOTH_PRELUDE . $_[0]) }

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
is ours ($delayed_group), "before: 3 2 1\nafter: 2 2 0\nend: 0 a b group\n",
   "a delayed group no longer counts in nreqs";
same_as_original ("nreqs with a delayed group", $delayed_group);

# ---- usage lines ------------------------------------------------------------

my $usages = <<'EOF';
for my $call (
   sub { &IO::AIO::idle_timeout () },
   sub { &IO::AIO::min_parallel () },
   sub { IO::AIO::REQ::cancel () },
   sub { IO::AIO::REQ::cb () },
   sub { IO::AIO::GRP::add () },
   sub { IO::AIO::GRP::cancel_subs () },
   sub { IO::AIO::GRP::result () },
   sub { IO::AIO::GRP::errno () },
   sub { IO::AIO::GRP::limit () },
   sub { IO::AIO::GRP::feed () },
   sub { &IO::AIO::madvise ("x") },
   sub { my $x = "abc"; &IO::AIO::madvise ($x, 0) },
   sub { my $x = "abc"; &IO::AIO::mprotect ($x, 0, 1) },
) {
   eval { $call->() };
   (my $err = $@) =~ s/ at .*//s;
   print "$err\n";
}
EOF
is ours ($usages), <<'EOF', "usage lines name the parameters as the original's; madvise/mprotect without their fourth argument croak with theirs";
Usage: IO::AIO::idle_timeout(seconds)
Usage: IO::AIO::min_parallel(nthreads)
Usage: IO::AIO::REQ::cancel(req)
Usage: IO::AIO::REQ::cb(req, callback= NO_INIT)
Usage: IO::AIO::GRP::add(grp, ...)
Usage: IO::AIO::GRP::cancel_subs(req)
Usage: IO::AIO::GRP::result(grp, ...)
Usage: IO::AIO::GRP::errno(grp, errorno= errno)
Usage: IO::AIO::GRP::limit(grp, limit)
Usage: IO::AIO::GRP::feed(grp, callback= &PL_sv_undef)
Usage: IO::AIO::madvise(scalar, offset= 0, length= &PL_sv_undef, advice_or_prot)
Usage: IO::AIO::madvise(scalar, offset= 0, length= &PL_sv_undef, advice_or_prot)
Usage: IO::AIO::mprotect(scalar, offset= 0, length= &PL_sv_undef, advice_or_prot)
EOF
# (the original reads the missing fourth argument from beyond the stack
# and may crash: those two calls are not compared)
(my $usages_safe = $usages) =~ s/^   sub \{ my \$x.*\n//mg;
same_as_original ("usage lines", $usages_safe);

# ---- aio_lstat on a filehandle fills the stat cache like stat -------------

my $lstat_fh = <<'EOF';
open my $fh, "<", "/etc/passwd" or die;
for my $target ($fh, "/etc/passwd") {
   for my $req (\&IO::AIO::aio_lstat, \&IO::AIO::aio_stat) {
      $req->($target, sub {
         print join (" ", $_[0],
            (eval { my $l = -l _; "-l ok" } || "-l dies"),
            (eval { my @l = lstat _; "lstat ok" } || "lstat dies"),
            (eval { my @s = stat _; "stat ok" } || "stat dies"), -s _ ? "size" : "nosize"), "\n";
      });
      IO::AIO::flush;
   }
}
EOF
is ours ($lstat_fh), <<'EOF', "aio_lstat on a filehandle is an fstat: -l _ and lstat _ die as after stat";
0 -l dies lstat dies stat ok size
0 -l dies lstat dies stat ok size
0 -l ok lstat ok stat ok size
0 -l dies lstat dies stat ok size
EOF
same_as_original ("aio_lstat on a filehandle", $lstat_fh);

# ---- aio_readdirx's flags --------------------------------------------------

my $readdirx_flags = <<'EOF';
for my $flags (0, 1, 2, 4, 7, 0x80, 0x100, 0x101, 0x200, 0x300, 0x301, 0x400, 0x10000, 0x7fffffff, 0x80000000, -1, -256) {
   aio_readdirx "/", $flags, sub { print "$flags: $_[1]\n" };
   IO::AIO::flush;
}
EOF
like ours ($readdirx_flags), qr/^256: 1\n257: 1\n512: 1\n768: 1\n769: 1\n1024: 1025\n/m,
   "aio_readdirx hands back only the flag bits that mean something";
same_as_original ("aio_readdirx flags", $readdirx_flags);

# ---- $! on bad lengths -----------------------------------------------------

my $bad_lengths = <<'EOF';
my $size = -s "/etc/passwd";
open my $fh, "<", "/etc/passwd" or die;
for my $len (-1, 2**64, 1e30) {
   my $buf = "";
   aio_read $fh, 0, $len, $buf, 0, sub { print "read $len: $_[0] ", errname ($!), " ", length $buf, "\n" };
   IO::AIO::flush;
}
for ([0, -1], [0, 2**64], [$size + 10, 0], [$size + 10, 5], [$size, 0], [-1, 0]) {
   my ($offset, $len) = @$_;
   my $data;
   aio_slurp "/etc/passwd", $offset, $len, $data, sub {
      print "slurp ", ($offset >= $size ? "end+" . ($offset - $size) : $offset), " $len: $_[0] ", ($_[0] < 0 ? errname ($!) : length $data), "\n";
   };
   IO::AIO::flush;
}
EOF
is ours ($bad_lengths), <<'EOF', "bad lengths fail with the original's \$! values";
read -1: -1 EFAULT 0
read 1.84467440737096e+19: -1 EFAULT 0
read 1e+30: -1 EFAULT 0
slurp 0 -1: -1 EFAULT
slurp 0 1.84467440737096e+19: -1 EFAULT
slurp end+10 0: -1 ENOMEM
slurp end+10 5: 0 0
slurp end+0 0: 0 0
slurp -1 0: 1 1
EOF
same_as_original ("bad lengths", $bad_lengths);

# lengths where the original dies ("panic: memory wrap", "Out of memory!")
is ours (<<'EOF'), "read: -1 EFAULT\nread: -1 EFAULT\nslurp: -1 EFAULT\nslurp: -1 ENOMEM\n", "and beyond any address space, EFAULT";
open my $fh, "<", "/etc/passwd" or die;
for my $len (-2, 2**63) {
   my $buf = "";
   aio_read $fh, 0, $len, $buf, 0, sub { print "read: $_[0] ", errname ($!), "\n" };
   IO::AIO::flush;
}
for my $len (-4096, 2**62) {
   aio_slurp "/etc/passwd", 0, $len, my $data, sub { print "slurp: $_[0] ", errname ($!), "\n" };
   IO::AIO::flush;
}
EOF

# ---- aio_busy with delays no timespec holds ---------------------------------

my $busy = <<'EOF';
# (successes first: after a failure the original leaves a stale $!)
for my $delay ("-inf", -1, 0, "nan", "inf", "-nan", 1e300, 2**64, 2**63) {
   $! = 0;
   IO::AIO::aio_busy ($delay + 0, sub { print "$delay: ", scalar @_, " ", ($! ? errname ($!) : "ok"), "\n" });
   IO::AIO::flush;
}
EOF
is ours ($busy), <<'EOF', "aio_busy fails with EINVAL for NaN, +inf and delays beyond a timespec";
-inf: 0 ok
-1: 0 ok
0: 0 ok
nan: 0 EINVAL
inf: 0 EINVAL
-nan: 0 EINVAL
1e+300: 0 EINVAL
1.84467440737096e+19: 0 EINVAL
9.22337203685478e+18: 0 EINVAL
EOF
same_as_original ("aio_busy delays", $busy);

# ---- the submission hook given something that is not code ------------------

# (the hook runs under eval, as in the original: its error is left in $@
# right after the submission, inside a callback too)
my $hook = <<'EOF';
for my $hook ("nosuch", 1, [], {}, \"x", sub { die "hook\n" }) {
   IO::AIO::_on_next_submit ($hook);
   aio_nop sub { };
   my $outside = $@ =~ s/ at .*//sr;
   chomp $outside;
   IO::AIO::flush;
   aio_nop sub { IO::AIO::_on_next_submit ($hook); aio_nop; print "inside: ", $@ =~ s/ at .*//sr, "\n" };
   eval { IO::AIO::flush; 1 } or print "flush died: $@";
   print "outside: $outside\n";
}
EOF
like ours ($hook), qr/^inside: Undefined subroutine &main::nosuch called\noutside: Undefined subroutine &main::nosuch called\n/,
   "a hook that is not code fails at the next submission, into \$@";
same_as_original ("the submission hook", $hook);

# ---- signals are the Perl thread's -----------------------------------------
# Worker threads block every signal, as the original's do: one that caught a
# signal meant for Perl would fail its syscall with EINTR.  Each thread's
# mask is read from /proc while a worker waits in read(2) and disk reads
# are under way; threads are counted by whether they block SIGINT, SIGALRM,
# SIGCHLD and SIGUSR1.

my $masks = <<'EOF';
pipe my $r, my $w or die;
my ($buf, @file) = ('');
IO::AIO::aio_read ($r, undef, 5, $buf, 0, sub { });
open my $fh, "<", $^X or die;
IO::AIO::aio_read ($fh, 0, 10, $file[$_], 0, sub { }) for 0 .. 2;
select undef, undef, undef, 0.2;
my %threads;
for my $status (glob "/proc/$$/task/*/status") {
   open my $in, "<", $status or next;
   my ($blocked) = map /^SigBlk:\s*(\w+)/, <$in>;
   my $all = 1;
   $all &&= (hex (substr $blocked, -8) >> ($_ - 1)) & 1 for 2, 10, 14, 17;
   ++$threads{ ($status =~ m{/task/$$/} ? "main" : "worker") . ($all ? " blocks" : " takes") };
}
syswrite $w, "hello";
IO::AIO::flush ();
print join (", ", map "$_=$threads{$_}", sort keys %threads), "\n";
EOF
my $masked = qr/^main takes=1, worker blocks=\d+\n\z/;
like ours ($masks), $masked, "worker threads block the signals Perl handles";
SKIP: {
   skip "the original IO::AIO is not installed", 1 unless $have_original;
   like run_original ($AIOTest::BOTH_PRELUDE . $masks), $masked, "as the original's do";
}

# ---- a panic in the engine -------------------------------------------------

is ours (<<'EOF'),
my $n = 0;
IO::AIO::aio_nop (sub { $n++ }) for 1 .. 3;
IO::AIO::_test_panic_next_poll ();
eval { IO::AIO::flush (); 1 } or print "died: ", $@ =~ s/ at .*//sr, " n=$n\n";
IO::AIO::flush ();
print "then: n=$n nreqs=", IO::AIO::nreqs (), "\n";
EOF
   "died: IO::AIO: internal error while handing out results (engine panic: a panic for a test (aiors_test_panic_next_poll)) n=0\nthen: n=3 nreqs=0\n",
   "a panic while handing out results croaks with its message (not \"no result\")";

done_testing;

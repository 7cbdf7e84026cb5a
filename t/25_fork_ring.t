# A forked child never touches the parent's ring (issue 12).  A fresh
# process submits 200 reads of a file (under IO_AIO_ENGINE=uring they are
# all in the ring, their completions not yet reaped) and forks at once.
# The child does requests of its own, which must complete correctly (on
# its own engine), and must see none of the parent's callbacks; the
# parent's reads all complete, with the right data, in the parent.  The
# child either calls IO::AIO::reinit, or does not (its first request
# starts a fresh engine), or exits at once (only IO::AIO's END block runs,
# which must neither hang nor crash).  Runs under either engine.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use AIOTest qw(:DEFAULT spew);

BEGIN { use_ours () }

my $BLOCK = 4096;
my $N = 200;

# Block $i of the file: its number, again and again.
sub block { sprintf ("%-8d", $_[0]) x ($BLOCK / 8) }

my $tmp = File::Temp->newdir;
my $file = "$tmp/data";
spew ($file, join "", map block ($_), 0 .. $N - 1);

# Run as a fresh process: @ARGV = (variant, file, blocks, block size).
my $SCENARIO = <<'EOF';
use strict;
use IO::AIO;
my ($variant, $file, $N, $B) = @ARGV;
sub block { sprintf ("%-8d", $_[0]) x ($B / 8) }
open my $fh, "<", $file or die "$file: $!";
my (%done, @buf);
for my $i (0 .. $N - 1) {
   aio_read $fh, $i * $B, $B, $buf[$i], 0, sub {
      $done{$i} = $_[0] == $B && $buf[$i] eq block ($i) ? 1 : 0;
   };
}
printf "parent: engine=%s nreqs=%d nready=%d nthreads=%d\n",
   IO::AIO::engine (), IO::AIO::nreqs (), IO::AIO::nready (), IO::AIO::nthreads ();
pipe my $r, my $w or die "pipe: $!";
my $pid = fork // die "fork: $!";
unless ($pid) {
   close $r;
   alarm 30;   # a hang fails as SIGALRM
   my $seen = keys %done;
   IO::AIO::reinit () if $variant eq "reinit";
   unless ($variant eq "exit") {
      my ($res, $buf, $st, $size);
      aio_read $fh, 7 * $B, $B, $buf, 0, sub { $res = $_[0] };
      aio_stat $file, sub { $st = $_[0]; $size = -s _ };
      IO::AIO::flush ();
      # the parent's requests complete meanwhile: none may show up here
      my $rin = "";
      vec ($rin, IO::AIO::poll_fileno (), 1) = 1;
      select my $rout = $rin, undef, undef, 0.2;
      IO::AIO::poll_cb ();
      printf $w "child: engine=%s read=%s data=%s stat=%s size=%s nreqs=%d parent_callbacks=%d\n",
         IO::AIO::engine (), $res // "none", defined $buf && $buf eq block (7) ? "ok" : "bad",
         $st // "none", $size // "none", IO::AIO::nreqs (), keys (%done) - $seen;
   }
   close $w;
   exit 0;   # END blocks run, IO::AIO's flush among them
}
close $w;
IO::AIO::flush ();
my $child = do { local $/; <$r> };
waitpid $pid, 0;
print $child;
print "child status: $?\n";
printf "parent callbacks: %d good=%d nreqs=%d\n",
   scalar keys %done, scalar grep ($_, values %done), IO::AIO::nreqs ();
print "from: $INC{'IO/AIO.pm'}\n";
EOF

for my $variant ("reinit", "no reinit", "exit") {
   subtest "fork with $N reads in flight, child: $variant" => sub {
      open my $out, "-|", perl_ours (), "-e", $SCENARIO, $variant, $file, $N, $BLOCK
         or die "$^X: $!";
      my %line = map /^([^:]+): (.*)$/ ? ($1 => $2) : (), <$out>;
      ok close ($out), "the scenario ran" or diag "status $?";
      like $line{from}, $AIOTest::BLIB_RE, "with our IO::AIO";

      my ($engine) = ($line{parent} // "") =~ /engine=(\w+)/;
      like $line{parent}, qr/ nreqs=$N /, "the parent's reads were outstanding at the fork";
      like $line{parent}, qr/ nready=0 nthreads=0$/, "in the ring: none queued for threads, none started"
         if ($engine // "") eq "uring";
      is $line{"child status"}, 0, "the child exited normally (no crash, no hang)";
      unless ($variant eq "exit") {
         is $line{child},
            "engine=$engine read=$BLOCK data=ok stat=0 size=" . $N * $BLOCK . " nreqs=0 parent_callbacks=0",
            "the child's requests completed on its own engine, none of the parent's";
      }
      is $line{"parent callbacks"}, "$N good=$N nreqs=0", "every read completed in the parent, correctly";
   };
}

done_testing;

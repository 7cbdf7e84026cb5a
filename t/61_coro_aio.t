# Coro::AIO on our IO::AIO: Coro::AIO builds its blocking wrappers from the
# prototypes of @IO::AIO::AIO_REQ when it loads, and waits for results
# through AnyEvent::AIO.  Dozens of coroutines stat, read and write files
# concurrently; every result is checked against synchronous I/O.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours (qw(nreqs)) }   # Coro::AIO exports the aio_* names

use Test::More;
use File::Temp ();
use Fcntl ();
use Errno ();

BEGIN {
   eval { require Coro; require Coro::AIO; 1 }
      or plan skip_all => "Coro::AIO is not installed: $@";
   Coro->import;
   Coro::AIO->import (qw(aio_stat aio_open aio_read aio_write aio_close
                         aio_readdir aio_unlink aio_wait aio_nop));
}

my $deadline = AnyEvent->timer (after => 120, cb => sub {
   diag "timed out";
   POSIX::_exit (1);
});
require POSIX;

like $INC{"IO/AIO.pm"}, qr{blib}, "Coro::AIO sits on our IO::AIO";

my $tmp = File::Temp->newdir ("aioXXXXXX", TMPDIR => 1);
my $dir = "$tmp";

sub slurp { open my $fh, "<:raw", $_[0] or die "$_[0]: $!"; local $/; <$fh> }

my $N = 48;

# the input files: sizes from 0 to ~200 KiB
my @in;
for my $i (0 .. $N - 1) {
   my $size = $i == 0 ? 0 : $i == 1 ? 1 : ($i * 4099) % 200_000;
   my $unit = pack "C*", map +($i * 13 + $_) & 255, 0 .. 255;
   my $path = "$dir/in$i";
   open my $fh, ">:raw", $path or die "$path: $!";
   print $fh substr $unit x (1 + $size / 256), 0, $size;
   close $fh or die;
   push @in, $path;
}

my (%result, $running, $max_running);
$running = $max_running = 0;

my @coros = map {
   my $i = $_;
   async {
      my $path = $in[$i];
      my %r;
      ++$running;
      $max_running = $running if $running > $max_running;

      # stat: status and the stat cache (_) in this coroutine
      $r{stat}    = aio_stat $path;
      $r{size}    = -s _;
      $r{is_file} = -f _ ? 1 : 0;

      # open and read the whole file, in two parts, the second at an offset
      my $fh = aio_open $path, Fcntl::O_RDONLY (), 0;
      $r{open} = $fh ? 1 : 0;
      my $buf = "";
      my $half = int ($r{size} / 2);
      $r{read1} = aio_read $fh, 0, $half, $buf, 0;
      $r{read2} = aio_read $fh, $half, 1 << 20, $buf, $half;
      $r{data}  = $buf;
      $r{close} = aio_close $fh;

      # write a transformed copy and read it back synchronously later
      my $out = "$dir/out$i";
      my $wfh = aio_open $out, Fcntl::O_WRONLY () | Fcntl::O_CREAT () | Fcntl::O_TRUNC (), 0600;
      my $copy = reverse $buf;
      $r{write} = aio_write $wfh, 0, length $copy, $copy, 0;
      $r{wclose} = aio_close $wfh;
      $r{want} = $copy;

      # an error: $! as the request left it
      my $bad = aio_open "$dir/missing/$i", Fcntl::O_RDONLY (), 0;
      $r{bad} = defined $bad ? "defined" : $! + 0;

      --$running;
      $result{$i} = \%r;
   }
} 0 .. $N - 1;

$_->join for @coros;

cmp_ok $max_running, ">", 1, "the coroutines really ran concurrently (up to $max_running)";
is scalar keys %result, $N, "all $N coroutines finished";

my %bad;
for my $i (0 .. $N - 1) {
   my $r    = $result{$i};
   my $data = slurp ($in[$i]);
   my $size = length $data;
   my $half = int ($size / 2);

   my @problems;
   push @problems, "stat $r->{stat}"          unless $r->{stat} == 0;
   push @problems, "size $r->{size}"          unless $r->{size} == $size;
   push @problems, "not a file"               unless $r->{is_file};
   push @problems, "open"                     unless $r->{open};
   push @problems, "read1 $r->{read1}"        unless $r->{read1} == $half;
   push @problems, "read2 $r->{read2}"        unless $r->{read2} == $size - $half;
   push @problems, "data"                     unless $r->{data} eq $data;
   push @problems, "close $r->{close}"        unless $r->{close} == 0;
   push @problems, "write $r->{write}"        unless $r->{write} == $size;
   push @problems, "wclose $r->{wclose}"      unless $r->{wclose} == 0;
   push @problems, "written data"             unless slurp ("$dir/out$i") eq $r->{want};
   push @problems, "error $r->{bad}"          unless $r->{bad} eq Errno::ENOENT ();

   $bad{$i} = "@problems" if @problems;
}
is_deeply \%bad, {}, "every coroutine's results match the synchronous recomputation";

# aio_wait on a group of requests, from several coroutines at once
{
   my @waits = map {
      my $k = $_;
      async {
         my $grp = IO::AIO::aio_group;   # Coro::AIO's aio_group would wait
         my @names;
         $grp->add (IO::AIO::aio_readdir ($dir, sub { @names = @{ $_[0] || [] } }));
         $grp->add (IO::AIO::aio_stat ("$in[$k]"));
         $grp->result ("group $k");
         my @r = aio_wait $grp;
         [$r[0], scalar @names]
      }
   } 0 .. 11;

   my @got = map $_->join, @waits;
   is_deeply [map $_->[0], @got], [map "group $_", 0 .. 11], "aio_wait returns each group's result";
   is_deeply [map $_->[1], @got], [(2 * $N) x 12], "the groups' readdirs saw all files";
}

# a coroutine waiting for a request does not block the others
{
   my @order;
   my $slow = async { aio_wait IO::AIO::aio_busy (0.3); push @order, "slow-done" };
   my $fast = async { for (1 .. 5) { aio_nop; push @order, "fast" } };
   $_->join for $slow, $fast;
   is_deeply [grep $_ ne "slow-start", @order], [("fast") x 5, "slow-done"],
      "a long request in one coroutine lets the others go on";
}

# unlink everything from coroutines, then check the directory is empty
{
   my @u = map { my $p = $_; async { aio_unlink $p } } map +("$dir/in$_", "$dir/out$_"), 0 .. $N - 1;
   my @st = map $_->join, @u;
   is_deeply [grep $_ != 0, @st], [], "all aio_unlinks succeeded";
   opendir my $dh, $dir or die;
   is_deeply [grep !/^\.\.?$/, readdir $dh], [], "the directory is empty";
}

is nreqs, 0, "nothing outstanding";

done_testing;

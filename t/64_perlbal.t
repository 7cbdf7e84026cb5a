# Perlbal serving static files with SERVER aio_mode = ioaio, on our
# IO::AIO: Perlbal::AIO does its aio_stat / aio_open / aio_readahead through
# IO::AIO and watches IO::AIO::poll_fileno in its Danga::Socket loop.
#
# The server runs in a child process (our blib first on @INC) on a free
# port of 127.0.0.1; it counts the IO::AIO requests Perlbal makes and
# writes the counts out when it gets SIGTERM.  The client sends a bounded
# number of GETs (0 B, 1 B, 4 KiB and 1 MiB files, a 404 followed by a GET
# on the same keep-alive connection) and checks every byte.  The child is
# always killed at the end; everything is bounded in time.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Test::More;
use File::Temp ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();

eval { require Perlbal; 1 }
   or plan skip_all => "Perlbal is not installed: $@";

my $tmp     = File::Temp->newdir ("aioXXXXXX", TMPDIR => 1);
my $docroot = "$tmp/docroot";
mkdir $docroot or die "mkdir: $!";

my %files = (
   "empty.txt" => "",
   "one.txt"   => "x",
   "4k.bin"    => join ("", map chr ($_ & 255), 0 .. 4095),
   "1m.bin"    => join ("", map pack ("N", $_ * 2654435761 % 4294967296), 0 .. 262_143),
);
for my $name (keys %files) {
   open my $fh, ">:raw", "$docroot/$name" or die "$name: $!";
   print $fh $files{$name};
   close $fh or die;
}
is length $files{"1m.bin"}, 1 << 20, "the 1 MiB file is 1 MiB";

# a free port: bind to port 0, remember it, release it for the server
my $port = do {
   my $s = IO::Socket::INET->new (Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0, ReuseAddr => 1)
      or die "cannot bind: $!";
   $s->sockport
};

my $counts = "$tmp/counts";
my $log    = "$tmp/server.log";

(my $blib = $INC{"IO/AIO.pm"}) =~ s{/lib/IO/AIO\.pm$}{};

my $server = <<'EOF';
use strict;
use warnings;
use IO::AIO ();
BEGIN {
   $INC{"IO/AIO.pm"} =~ m{(?:^|/)blib/} or die "IO::AIO from $INC{'IO/AIO.pm'}, not blib\n";
}
use Perlbal;
use Scalar::Util ();

my ($port, $docroot, $counts) = @ARGV;

die "Perlbal did not detect IO::AIO\n" unless $Perlbal::OPTMOD_IO_AIO;

# count the IO::AIO requests Perlbal makes (Perlbal::AIO calls them by
# their full names at run time)
my %count;
for my $name (qw(aio_stat aio_open aio_readahead aio_read aio_close)) {
   no strict 'refs';
   no warnings 'redefine';
   my $orig = \&{"IO::AIO::$name"};
   my $wrap = sub { ++$count{$name}; goto &$orig };
   Scalar::Util::set_prototype (\&$wrap, prototype $orig);
   *{"IO::AIO::$name"} = $wrap;
}

$SIG{TERM} = sub {
   open my $fh, ">", "$counts.tmp" or die "$counts: $!";
   print $fh "mode $Perlbal::AIO_MODE\n";
   print $fh "$_ $count{$_}\n" for sort keys %count;
   print STDERR "IO::AIO requests: @{[ %count ]}\n";
   print $fh "nreqs ", IO::AIO::nreqs (), "\n";
   close $fh;
   rename "$counts.tmp", $counts;
   exit 0;
};

my $ok = Perlbal::run_manage_commands (<<EOC, sub { print STDERR "perlbal: $_[0]\n" });
SERVER aio_mode = ioaio
SERVER aio_threads = 2
CREATE SERVICE web
  SET role           = web_server
  SET listen         = 127.0.0.1:$port
  SET docroot        = $docroot
  SET dirindexing    = 0
  SET persist_client = on
ENABLE web
EOC
die "configuring Perlbal failed\n" unless $ok;
die "aio_mode is $Perlbal::AIO_MODE\n" unless $Perlbal::AIO_MODE eq "ioaio";

Perlbal::run ();
EOF

my $pid = fork;
defined $pid or die "fork: $!";
unless ($pid) {
   open STDIN,  "<", "/dev/null";
   open STDOUT, ">", $log;
   open STDERR, ">&", \*STDOUT;
   exec $^X, "-I$blib/lib", "-I$blib/arch", "-e", $server, $port, $docroot, $counts
      or POSIX::_exit (127);
}

my $killed;
sub stop_server {
   return if $killed++;
   kill TERM => $pid;
   my $deadline = Time::HiRes::time () + 10;
   while (Time::HiRes::time () < $deadline) {
      return $? if waitpid ($pid, POSIX::WNOHANG ()) == $pid;
      Time::HiRes::sleep (0.05);
   }
   kill KILL => $pid;
   waitpid $pid, 0;
   undef
}
END { stop_server () if $pid }

local $SIG{ALRM} = sub { stop_server (); die "the test timed out\n" };
alarm 120;

sub server_log { open my $fh, "<", $log or return ""; local $/; <$fh> }

# wait for the server to listen
my $up;
for (1 .. 200) {
   last if waitpid ($pid, POSIX::WNOHANG ()) == $pid;
   $up = IO::Socket::INET->new (PeerAddr => "127.0.0.1", PeerPort => $port, Timeout => 2)
      and last;
   Time::HiRes::sleep (0.05);
}
ok $up, "the Perlbal server listens on 127.0.0.1:$port"
   or BAIL_OUT ("the server did not start:\n" . server_log ());
close $up;

# one request on $sock; returns (status, headers hash, body)
sub get {
   my ($sock, $path, $keepalive) = @_;
   print $sock "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             . ($keepalive ? "Connection: keep-alive\r\n" : "Connection: close\r\n")
             . "\r\n";

   local $/ = "\r\n";
   my $status = <$sock>;
   defined $status or return;
   $status =~ m{^HTTP/1\.[01] (\d+)} or return;
   my $code = $1;

   my %h;
   while (defined (my $line = <$sock>)) {
      last if $line eq "\r\n";
      $line =~ /^([^:]+):\s*(.*?)\r\n$/ and $h{lc $1} = $2;
   }

   my $body = "";
   if (defined $h{"content-length"}) {
      my $left = $h{"content-length"};
      while ($left > 0) {
         my $n = read $sock, $body, $left, length $body;
         last unless $n;
         $left -= $n;
      }
   }
   ($code, \%h, $body)
}

sub connect_server {
   IO::Socket::INET->new (PeerAddr => "127.0.0.1", PeerPort => $port, Timeout => 10)
      or die "connect: $!";
}

# each file on its own connection
for my $name (sort keys %files) {
   my $sock = connect_server ();
   my ($code, $h, $body) = get ($sock, "/$name", 0);
   is $code, 200, "GET /$name: 200";
   is $h->{"content-length"}, length $files{$name}, "GET /$name: Content-Length";
   ok defined $body && $body eq $files{$name}, "GET /$name: the body is the file ("
                                             . length ($files{$name}) . " bytes)";
}

# all of them again, concurrently, a few times each
{
   my @socks = map [connect_server (), $_], (sort keys %files) x 3;
   for (@socks) {
      my ($s, $name) = @$_;
      print $s "GET /$name HTTP/1.0\r\n\r\n";
   }
   my $bad = 0;
   for (@socks) {
      my ($s, $name) = @$_;
      local $/;
      my $resp = <$s>;
      my ($head, $body) = split /\r\n\r\n/, $resp, 2;
      ++$bad unless $head =~ m{^HTTP/1\.[01] 200} && $body eq $files{$name};
   }
   is $bad, 0, scalar (@socks) . " concurrent GETs returned the right files";
}

# a 404 and then a GET on the same keep-alive connection
{
   my $sock = connect_server ();
   my ($code, $h, $body) = get ($sock, "/does-not-exist", 1);
   is $code, 404, "GET of a missing file: 404";
   ($code, $h, $body) = get ($sock, "/4k.bin", 1);
   is $code, 200, "then a GET on the same connection: 200";
   ok defined $body && $body eq $files{"4k.bin"}, "with the right body";
   ($code, $h, $body) = get ($sock, "/1m.bin", 0);
   ok defined $code && $code == 200 && $body eq $files{"1m.bin"}, "and a third, the 1 MiB file";
}

# stop the server: it reports what IO::AIO saw
my $status = stop_server ();
is $status, 0, "the server exited cleanly on SIGTERM"
   or diag server_log ();

my %seen;
if (open my $fh, "<", $counts) {
   /^(\S+) (\S+)$/ and $seen{$1} = $2 for <$fh>;
}
is $seen{mode}, "ioaio", "Perlbal ran in aio_mode ioaio";
cmp_ok $seen{aio_stat} || 0, ">=", 19, "Perlbal stat()ed through IO::AIO (" . ($seen{aio_stat} || 0) . ")";
cmp_ok $seen{aio_open} || 0, ">=", 18, "Perlbal opened through IO::AIO (" . ($seen{aio_open} || 0) . ")";
is $seen{nreqs}, 0, "no IO::AIO request outstanding at shutdown";

unlike server_log (), qr/(?:ERROR|crash log|Error w\/ sendfile|aio_open_failure|panicked)/i,
   "nothing alarming in the server's output";

note "server output:\n" . server_log ();

done_testing;

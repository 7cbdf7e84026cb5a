# bin/treescan against find: the same paths, exit status and errors for
# every file type and form of start path, in each of treescan's modes, also
# as an unprivileged user (for an unreadable directory).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Fcntl qw(O_WRONLY);
use File::Temp ();
use IO::Socket::UNIX ();
use POSIX ();
use AIOTest qw(:DEFAULT spew);
use Treescan;

BEGIN { use_ours () }

plan skip_all => "find is not available"
   unless (run_cmd ({}, "find", "/dev/null"))[2] eq "0";

like treescan_aio_path (), $AIOTest::BLIB_RE, "treescan runs with our IO::AIO (blib/)";

my $tmp = File::Temp::tempdir (CLEANUP => 1);
chmod 0755, $tmp or die "chmod: $!";    # for the runs as nobody
my $t = "$tmp/tree";

mkdir $_ or die "mkdir $_: $!" for $t, map "$t/$_", qw(a a/b a/b/c empty unr), "caf\xe9";
spew ("$t/$_", "x" x length) for qw(f a/f2 a/b/f3 a/b/c/f4 unr/hidden), "caf\xe9/\xff\xfe", "new\nline", "sp ace";
POSIX::mkfifo ("$t/fifo", 0644) or die "mkfifo: $!";
IO::Socket::UNIX->new (Local => "$t/sock", Listen => 1) or die "socket: $!";
for ([nowhere => "dangling"], [loop => "loop"], [pong => "ping"], [ping => "pong"], [a => "ldir"], [f => "lfile"]) {
   symlink $_->[0], "$t/$_->[1]" or die "symlink: $!";
}
chmod 0, "$t/unr" or die "chmod: $!";

# A writer that waits for a reader of the FIFO: if anything opens the FIFO,
# the writer's open returns and it exits.
my $writer = fork // die "fork: $!";
unless ($writer) {
   open STDOUT, ">", "/dev/null";    # not prove's pipe
   open STDERR, ">", "/dev/null";
   sysopen my $fh, "$t/fifo", O_WRONLY;
   POSIX::_exit (0);
}

END {
   kill KILL => $writer if $writer;
   chmod 0755, "$t/unr" if defined $t;    # so that File::Temp can remove it
}

# (directory to run in, start paths...)
my @cases = (
   [$tmp, "tree"], [$tmp, "tree/"], [$tmp, "tree//"], [$tmp, $t], [$t], [$t, "."],
   [$tmp, "tree/ldir"], [$tmp, "tree/ldir/"], [$tmp, "tree/lfile"], [$tmp, "tree/dangling"],
   [$tmp, "tree/loop"], [$tmp, "tree/loop/"], [$tmp, "tree/ping/"], [$tmp, "tree/fifo"],
   [$tmp, "tree/sock"], [$tmp, "tree/f/"], [$tmp, "tree/missing"], [$tmp, "tree/unr"],
   [$tmp, "tree/caf\xe9"], [$tmp, "tree/a", "tree/missing", "tree/f", "tree/a/b"],
);
my @modes = ([], ["--sync"], ["--stat"], ["--match", "."]);

my @users = ([undef, "as " . getpwuid $>]);
if ($> == 0) {
   if (can_run_as ("nobody")) {
      push @users, ["nobody", "as nobody"];
   } else {
      diag "cannot run treescan as nobody: no unreadable directory in this run";
   }
}

# the errors reported on stderr, as "path: message"
sub errors {
   my ($prog, $stderr) = @_;
   my $re = $prog eq "find" ? qr/^find: '(.*)': (.*)$/ : qr/^treescan: (.*): (.*)$/;
   sort map { /$re/ ? "$1: $2" : "unexpected: $_" } split /\n/, $stderr
}

# what treescan prints for a path find printed: a directory gets a "/"
# unless it ends in one, --stat puts the size in front
sub expected_line {
   my ($cwd, $path, $with_size) = @_;
   my @st = lstat ($path =~ m{^/} ? $path : "$cwd/$path")
      or die "lstat $path: $!";
   ($with_size ? "$st[7]\t" : "") . $path . (-d _ && $path !~ m{/\z} ? "/" : "")
}

sub printable { $_[0] =~ s/([^\x20-\x7e])/sprintf "\\x%02x", ord $1/ger }

my $denied = 0;    # how often find found an unreadable directory
for my $user (@users) {
   my ($as, $label) = @$user;
   for my $case (@cases) {
      my ($cwd, @paths) = @$case;
      my $how = { cwd => $cwd, user => $as, timeout => 20 };
      my ($found, $find_err, $find_status) = run_cmd ($how, "find", @paths, "-print0");
      $denied += () = $find_err =~ /Permission denied/g;

      for my $mode (@modes) {
         my $with_size = grep $_ eq "--stat", @$mode;
         my ($out, $err, $status) = run_cmd ($how, treescan_cmd (), "-0", @$mode, @paths);
         is_deeply {
            status => $status,
            errors => [errors (treescan => $err)],
            lines  => [sort split /\0/, $out],
         }, {
            status => $find_status,
            errors => [errors (find => $find_err)],
            lines  => [sort map expected_line ($cwd, $_, $with_size), split /\0/, $found],
         }, printable ("$label: treescan @$mode @paths");
      }
   }
}

SKIP: {
   skip "root without nobody: every directory is readable", 1 unless $> != 0 || @users > 1;
   ok $denied, "an unreadable directory was among the cases";
}

{
   my ($zero) = run_cmd ({ cwd => $tmp }, treescan_cmd (), "-0", "tree");
   my ($newline, $err, $status) = run_cmd ({ cwd => $tmp }, treescan_cmd (), "tree");
   is_deeply [sort split /\n/, $newline], [sort split /\n/, $zero =~ tr/\0/\n/r],
      "without -0, the same bytes end in newlines";
}

SKIP: {
   skip "no /dev/full", 2 unless -c "/dev/full";
   my $how = { cwd => $tmp, stdout => "/dev/full" };
   my (undef, undef, $find_status) = run_cmd ($how, "find", "tree/a");
   my (undef, $err, $status) = run_cmd ($how, treescan_cmd (), "tree/a");
   is $status, $find_status, "output to a full disk: find's exit status";
   is $err, "treescan: write error: No space left on device\n", "... and a message";
}

is waitpid ($writer, POSIX::WNOHANG ()), 0, "nothing opened the FIFO (its writer still waits)";

done_testing;

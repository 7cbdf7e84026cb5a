package Treescan;

# Running bin/treescan (with our IO::AIO from blib/) and other commands in
# the tests, with everything they print captured.
#
#   use Treescan;
#
# treescan_cmd ()          the command line that runs bin/treescan with this
#                          perl and the blib/ directories of @INC (absolute,
#                          so that it works from any directory)
# treescan_aio_path ()     the IO/AIO.pm that this command line loads
# run_cmd (\%how, @cmd)    run @cmd with stdin from /dev/null and LC_ALL=C;
#                          returns (stdout, stderr, status): the exit
#                          status, 128 + the signal if one killed it, or
#                          "timeout" if it ran longer than $how->{timeout}
#                          seconds (default 60; it is killed then).
#                          %how: cwd => run it there; user => run it as
#                          this user (needs root); stdout => file name to
#                          send stdout to instead of capturing it
# can_run_as ($user)       whether run_cmd can run treescan as $user

use strict;
use warnings;

use Exporter ();
use File::Spec ();
use File::Temp ();
use FindBin ();
use POSIX ();

our @ISA    = ('Exporter');
our @EXPORT = qw(treescan_cmd treescan_aio_path run_cmd can_run_as);

sub treescan_cmd {
   ($^X, (map "-I" . File::Spec->rel2abs ($_), grep m{(?:^|/)blib/}, @INC),
    File::Spec->rel2abs ("$FindBin::Bin/../bin/treescan"))
}

sub treescan_aio_path {
   my ($perl, @inc) = treescan_cmd ();
   pop @inc;    # the script
   my ($out) = run_cmd ({}, $perl, @inc, "-MIO::AIO", "-e", 'print $INC{"IO/AIO.pm"}');
   $out
}

# Switches the (forked) process to $user for good, supplementary groups
# included; false if that did not work.
sub _become {
   my ($user) = @_;
   my (undef, undef, $uid, $gid) = getpwnam $user
      or return 0;
   $( = $gid;
   $) = "$gid $gid";
   POSIX::setuid ($uid);
   $< == $uid && $> == $uid && (split ' ', $()[0] == $gid
}

sub run_cmd {
   my ($how, @cmd) = @_;

   my $out = File::Temp->new;
   my $err = File::Temp->new;

   my $pid = fork;
   defined $pid
      or die "Treescan::run_cmd: fork: $!\n";

   unless ($pid) {
      open STDIN, "<", "/dev/null";
      open STDOUT, ">", $how->{stdout} // $out->filename
         or POSIX::_exit (125);
      open STDERR, ">", $err->filename
         or POSIX::_exit (125);
      $ENV{LC_ALL} = "C";
      !defined $how->{cwd} || chdir $how->{cwd}
         or POSIX::_exit (125);
      !defined $how->{user} || _become ($how->{user})
         or POSIX::_exit (126);
      exec { $cmd[0] } @cmd
         or POSIX::_exit (127);
   }

   my $timed_out;
   {
      local $SIG{ALRM} = sub { $timed_out = 1; kill KILL => $pid };
      alarm ($how->{timeout} || 60);
      waitpid $pid, 0;
      alarm 0;
   }
   my $status = $timed_out ? "timeout" : $? & 127 ? 128 + ($? & 127) : $? >> 8;

   my $slurp = sub { open my $fh, "<:raw", $_[0]->filename or die; local $/; scalar <$fh> };
   ($slurp->($out), $slurp->($err), $status)
}

sub can_run_as {
   my ($user) = @_;
   return 0 if $> != 0 || !defined getpwnam $user;
   my ($out, $err, $status) = run_cmd ({ user => $user }, treescan_cmd (), "--help");
   $status eq "0" && $out =~ /^usage: treescan/
}

1

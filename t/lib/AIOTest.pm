package AIOTest;

# Shared helpers for the test suite.
#
#   use FindBin;
#   use lib "$FindBin::Bin/lib";
#   use AIOTest;
#   BEGIN { use_ours () }          # or use_ours (qw(aio_read aio_write))
#
# use_ours ()           load IO::AIO (our build) and insist that it came from
#                       blib/, then import it into the caller (with the given
#                       import list, or the default exports)
# drain ([$timeout])    handle events until no requests are outstanding
# original_perl ()      path of the perl used to run the original IO::AIO
# original_version ()   $IO::AIO::VERSION of the original, undef if missing
# run_original ($code)  run $code in that perl with the original IO::AIO
#                       loaded (use IO::AIO) and return its stdout; undef if
#                       the original is not installed, dies if $code fails
# run_ours ($code)      the same, but in this perl with our build (blib/)
# skip_unless_original ()
#                       plan skip_all unless the original is installed

use strict;
use warnings;

use Exporter ();
use File::Temp ();
use POSIX ();

our @ISA    = ('Exporter');
our @EXPORT = qw(use_ours drain run_original run_ours original_version original_perl
                 skip_unless_original);

# a loaded IO/AIO.pm counts as ours if it lives below some blib/ directory
our $BLIB_RE = qr{(?:^|[/\\])blib[/\\]};

sub _fatal {
   my ($msg) = @_;

   if (defined &Test::More::BAIL_OUT && Test::More->can ("builder")) {
      Test::More::BAIL_OUT ($msg);
   }

   die "$msg\n";
}

sub use_ours {
   my @imports = @_;
   my $caller  = caller;

   eval { require IO::AIO; 1 }
      or _fatal ("cannot load IO::AIO: $@");

   my $path = $INC{"IO/AIO.pm"};

   _fatal ("IO::AIO was loaded from " . (defined $path ? $path : "(unknown)")
           . ", not from a blib/ directory - run the tests with prove -b / make test")
      unless defined $path && $path =~ $BLIB_RE;

   # make sure the shared object of the original did not sneak in either
   if (my @so = grep { m{auto[/\\]IO[/\\]AIO[/\\]AIO\.\w+$} && !/$BLIB_RE/ }
                     @DynaLoader::dl_shared_objects) {
      _fatal ("the original IO::AIO shared object was loaded: @so");
   }

   local $@;
   eval "package $caller; IO::AIO->import (\@imports); 1"
      or _fatal ("importing IO::AIO failed: $@");

   $path
}

sub drain {
   my ($timeout) = @_;
   $timeout = 60 unless defined $timeout;

   my $deadline = time + $timeout;

   while (IO::AIO::nreqs ()) {
      my $left = $deadline - time;
      die "AIOTest::drain: requests still outstanding after ${timeout}s\n"
         if $left <= 0;

      my $rin = "";
      vec ($rin, IO::AIO::poll_fileno (), 1) = 1;
      select $rin, undef, undef, $left;

      IO::AIO::poll_cb ();
   }
}

sub original_perl {
   $ENV{AIOTEST_ORIGINAL_PERL} || "/usr/bin/perl"
}

# run a perl program in the system perl with a clean environment: neither
# PERL5LIB (prove -b puts blib there) nor PERL5OPT (-Mblib) may leak into it
sub _run_perl {
   my ($prog, @switches) = @_;

   my $perl = original_perl ();
   return (undef, "$perl: not executable", -1)
      unless -x $perl;

   my $err = File::Temp->new;

   local %ENV = %ENV;
   delete @ENV{qw(PERL5LIB PERLLIB PERL5OPT PERL5DB PERL_LOCAL_LIB_ROOT)};

   my $pid = open my $fh, "-|";
   defined $pid
      or die "AIOTest: fork: $!\n";

   unless ($pid) {
      open STDERR, ">", $err->filename
         or POSIX::_exit (126);
      open STDIN, "<", "/dev/null";
      exec { $perl } $perl, @switches, "-e", $prog
         or POSIX::_exit (127);
   }

   my $out = do { local $/; <$fh> };
   close $fh;
   my $status = $?;

   my $stderr = do { local $/; open my $efh, "<", $err->filename; <$efh> };

   ($out, $stderr, $status)
}

my ($probed, $orig_version);

sub original_version {
   unless ($probed) {
      $probed = 1;

      my ($out, undef, $status) = _run_perl (<<'EOF');
require IO::AIO;
die "blib IO::AIO picked up by the system perl: $INC{'IO/AIO.pm'}\n"
   if $INC{'IO/AIO.pm'} =~ m{(?:^|[/\\])blib[/\\]};
print "IO::AIO $IO::AIO::VERSION\n";
EOF

      $orig_version = $1
         if !$status && defined $out && $out =~ /^IO::AIO (\S+)$/m;
   }

   $orig_version
}

sub skip_unless_original {
   return 1 if defined original_version ();

   require Test::More;
   Test::More::plan (skip_all => "the original IO::AIO is not installed in "
                                 . original_perl () . ", nothing to compare against");
}

sub run_original {
   my ($code) = @_;

   return undef unless defined original_version ();

   my ($out, $stderr, $status) = _run_perl (
      "use IO::AIO;\n"
    . "BEGIN { die qq{not the original IO::AIO: \$INC{'IO/AIO.pm'}\\n} if \$INC{'IO/AIO.pm'} =~ m{(?:^|[/\\\\])blib[/\\\\]} }\n"
    . "#line 1 \"run_original\"\n"
    . $code
   );

   die "AIOTest::run_original: code failed (status $status): $stderr"
      if $status;

   $out
}

# the blib directories our IO::AIO was loaded from
sub _our_blib {
   my $pm = $INC{"IO/AIO.pm"};
   (my $blib = $pm) =~ s{[/\\]lib[/\\]IO[/\\]AIO\.pm$}{};
   ("-I$blib/lib", "-I$blib/arch")
}

sub run_ours {
   my ($code) = @_;

   local $ENV{AIOTEST_ORIGINAL_PERL} = $^X;
   my ($out, $stderr, $status) = _run_perl (
      "use IO::AIO;\n"
    . "#line 1 \"run_ours\"\n"
    . $code,
      _our_blib ()
   );

   die "AIOTest::run_ours: code failed (status $status): $stderr"
      if $status;

   $out
}

1

package AIOTest;

# Shared helpers for the test suite.
#
#   use FindBin;
#   use lib "$FindBin::Bin/lib";
#   use AIOTest;                   # or use AIOTest qw(:DEFAULT spew slurp)
#   BEGIN { use_ours () }          # or use_ours (qw(aio_read aio_write))
#
# use_ours ()           load IO::AIO (our build) and insist that it came from
#                       blib/, then import it into the caller (with the given
#                       import list, or the default exports)
# drain ([$timeout])    handle events until no requests are outstanding
# saturate ($secs[, $cb])
#                       one worker, busy for $secs with a request it has
#                       already taken: what is queued next runs by priority
# original_perl ()      path of the perl used to run the original IO::AIO
# original_version ()   $IO::AIO::VERSION of the original, undef if missing
# run_original ($code)  run $code in that perl with the original IO::AIO
#                       loaded (use IO::AIO) and return its stdout; undef if
#                       the original is not installed, dies if $code fails
# run_ours ($code)      the same, but in this perl with our build (blib/)
# run_original_status ($code), run_ours_status ($code)
#                       the same, but returning (stdout, wait status)
#                       instead of dying when $code fails (or crashes)
# perl_ours ()          the command (list) that runs this perl with our
#                       build: for a child wrapped in another program
# skip_unless_original ()
#                       plan skip_all unless the original is installed
# run_both ($prog)      run_original and run_ours of $prog, or of
#                       $prog->("original") and $prog->("ours") if $prog is a
#                       sub, each preceded by a definition of
#                       errname ($errno); returns both outputs (original first)
# run_here ($code, @argv)
#                       eval $code in this process (package main) with
#                       @ARGV set, and return what it printed; the cwd is
#                       restored afterwards
# run_here_and_original ($code)
#                       run_here ($code, $dir) and run_original of $code
#                       with @ARGV = ($dir), each with a fresh temporary
#                       $dir; returns both outputs (original first) with
#                       the directory replaced by DIR
# run_req ($submit, @args)
#                       $submit->(@args, $callback), drain; returns the
#                       callback's arguments (array ref) and the errno it saw
# run_group ($what, $req)
#                       $req->($callback) submits a composite request and
#                       returns its group (one test: isa_ok); drains and
#                       returns (number of callbacks, status, errname of $!
#                       if the status is negative)
# run_group_once ($what, $req)
#                       the same plus a test that the callback ran once;
#                       returns (status, errname)
# cancel_at_once ($submit)
#                       $submit->($callback) returns a request or group,
#                       which is cancelled at once; drains and returns how
#                       often the callback ran
# spew ($path, $data)   write $data to $path (raw)             (on request)
# slurp ($path)         contents of $path (raw), undef if it cannot be opened
#                                                              (on request)

use strict;
use warnings;

use Cwd ();
use Exporter ();
use File::Spec ();
use File::Temp ();
use POSIX ();

our @ISA    = ('Exporter');
our @EXPORT = qw(use_ours drain saturate run_original run_ours run_original_status run_ours_status
                 perl_ours original_version original_perl skip_unless_original run_both run_here
                 run_here_and_original run_req run_group run_group_once cancel_at_once);
our @EXPORT_OK = qw(spew slurp);   # several tests have their own

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

# Makes request order deterministic: one worker thread, busy for $seconds
# with an aio_busy request that it has already taken, so that requests
# queued next wait and then run by priority.  Returns that request.
sub saturate {
   my ($seconds, $cb) = @_;

   IO::AIO::max_parallel (1);
   my $busy = IO::AIO::aio_busy ($seconds, $cb);
   my $deadline = time + 30;
   select undef, undef, undef, 0.001
      while IO::AIO::nready () && time < $deadline;
   die "AIOTest::saturate: the worker did not take the busy request\n"
      if IO::AIO::nready ();

   $busy
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

sub _original {
   my ($code) = @_;

   _run_perl (
      "use IO::AIO;\n"
    . "BEGIN { die qq{not the original IO::AIO: \$INC{'IO/AIO.pm'}\\n} if \$INC{'IO/AIO.pm'} =~ m{(?:^|[/\\\\])blib[/\\\\]} }\n"
    . "#line 1 \"run_original\"\n"
    . $code
   )
}

sub run_original {
   my ($code) = @_;

   return undef unless defined original_version ();

   my ($out, $stderr, $status) = _original ($code);

   die "AIOTest::run_original: code failed (status $status): $stderr"
      if $status;

   $out
}

sub run_original_status {
   my ($code) = @_;

   return undef unless defined original_version ();

   my ($out, undef, $status) = _original ($code);
   ($out, $status)
}

# the blib directories our IO::AIO was loaded from
sub _our_blib {
   my $pm = File::Spec->rel2abs ($INC{"IO/AIO.pm"});   # a child may run elsewhere
   (my $blib = $pm) =~ s{[/\\]lib[/\\]IO[/\\]AIO\.pm$}{};
   ("-I$blib/lib", "-I$blib/arch")
}

sub perl_ours {
   ($^X, _our_blib ())
}

sub _ours {
   my ($code) = @_;

   local $ENV{AIOTEST_ORIGINAL_PERL} = $^X;
   _run_perl (
      "use IO::AIO;\n"
    . "#line 1 \"run_ours\"\n"
    . $code,
      _our_blib ()
   )
}

sub run_ours {
   my ($code) = @_;

   my ($out, $stderr, $status) = _ours ($code);

   die "AIOTest::run_ours: code failed (status $status): $stderr"
      if $status;

   $out
}

sub run_ours_status {
   my ($code) = @_;

   my ($out, undef, $status) = _ours ($code);
   ($out, $status)
}

# what run_both puts in front of each program
our $BOTH_PRELUDE = <<'EOF';
sub errname { my $e = shift; local $! = $e; (grep $!{$_}, sort keys %!)[0] || "errno $e" }
EOF

sub run_both {
   my ($prog) = @_;
   my $code = sub { $BOTH_PRELUDE . (ref $prog ? $prog->($_[0]) : $prog) };

   (run_original ($code->("original")), run_ours ($code->("ours")))
}

sub run_here {
   my ($code, @argv) = @_;

   my $cwd = Cwd::getcwd ();
   local @ARGV = @argv;
   my $out = "";
   open my $capture, ">", \$out or die;
   my $old = select $capture;
   eval "package main; $code; 1" or die $@;
   select $old;
   chdir $cwd or die;

   $out
}

sub run_here_and_original {
   my ($code) = @_;

   my $orig_dir = File::Temp::tempdir (CLEANUP => 1);
   my $ours_dir = File::Temp::tempdir (CLEANUP => 1);
   my $ours = run_here ($code, $ours_dir);
   my $orig = run_original ("\@ARGV = ('$orig_dir');\n$code");
   s/\Q$orig_dir\E/DIR/g for $orig;
   s/\Q$ours_dir\E/DIR/g for $ours;

   ($orig, $ours)
}

sub run_req {
   my ($submit, @args) = @_;
   my ($got, $errno);

   $submit->(@args, sub { $got = [@_]; $errno = $! + 0 });
   drain ();

   ($got, $errno)
}

sub run_group {
   my ($what, $req) = @_;

   require AIOWrap;
   my ($called, $status, $err) = (0);
   my $grp = $req->(sub {
      $called++;
      $status = $_[0];
      $err = AIOWrap::errname ($! + 0) if $status < 0;
   });
   Test::More::isa_ok ($grp, "IO::AIO::GRP", "$what returns a group");
   drain ();

   ($called, $status, $err)
}

sub run_group_once {
   my ($what, $req) = @_;

   my ($called, $status, $err) = run_group ($what, $req);
   Test::More::is ($called, 1, "$what: callback called once");

   ($status, $err)
}

sub cancel_at_once {
   my ($submit) = @_;

   my $called = 0;
   my $req = $submit->(sub { $called++ });
   $req->cancel;
   drain ();

   $called
}

sub spew {
   my ($path, $data) = @_;
   open my $fh, ">:raw", $path or die "$path: $!";
   print $fh $data;
   close $fh or die "$path: $!";
}

sub slurp {
   my ($path) = @_;
   open my $fh, "<:raw", $path or return undef;
   local $/;
   scalar <$fh>
}

1

# Differential sweep over the error paths of every request and helper:
# each function is called with a wrong argument in one place at a time
# (wrong types, missing files, bad descriptors, bad lengths and numbers,
# non-code callbacks) and with too few and too many arguments, under the
# original IO::AIO (system perl) and under ours.  Return values, callback
# arguments, $! names and croak messages (file and line removed) must be
# the same, except for the differences "DIFFERENCES FROM IO::AIO 4.80" in
# the POD lists, which are checked against what ours must do instead.
#
# Each function runs in a process of its own; where the original crashes
# (some of those listed differences), its run resumes after that case.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Test::More;

skip_unless_original ();

alarm 900;

# never called with arguments that get as far as running them
my %SKIP = (
   mount             => "changes the host's mounts",
   umount            => "changes the host's mounts",
   fexecve           => "replaces the process",
   mlockall          => "locks the process's memory",
   aio_mlockall      => "locks the process's memory",
   aio_sync          => "flushes every filesystem",
   aio_syncfs        => "flushes a whole filesystem",
   pidfd_send_signal => "sends signals",
   min_fdlimit       => "changes the process's limits",
   reinit            => "tested in t/65_fork_fileno.t",
   _on_next_submit   => "tested in t/92_dropin.t",
);

# Deliberate differences (listed in the POD): the start of "function case"
# => what ours does instead.
my %KNOWN = (
   # the original creates the descriptor it was asked to close
   "aio_close fh=9999"                    => qr/cb\(-1 EBADF\)/,
   # the original protects Perl's own heap pages (or crashes)
   "mprotect scalar="                     => qr/\(-1\) EINVAL/,
   # a pathname with a NUL fails with ENOENT; the original cuts it there
   (map +("$_ pathname=NUL" => qr/cb\(-1 ENOENT\)/), qw(aio_mkdir aio_mknod)),
   (map +("$_ newpath=NUL" => qr/cb\(-1 ENOENT\)/), qw(aio_link aio_symlink aio_rename aio_rename2)),
   (map +("$_ oldpath=NUL" => qr/cb\(-1 ENOENT\)/), qw(aio_link aio_symlink)),
   "aio_rmtree pathname=[undef, x]"       => qr/cb\(-1 ENOENT\)/,
   # a count that is negative asks for all extents; the original reads
   # beyond its buffer when the count's low 32 bits are 0
   "aio_fiemap count=-2**63"              => qr/cb\(ARRAY\(1\)\)/,
   (map +("$_ dst=NUL" => qr/cb\(-1 ENOENT\)/), qw(aio_copy aio_move)),
   # a second [undef, $path] fails with ENOENT; the original crashes
   (map +("$_ newpath=[undef, x]" => qr/cb\(-1 ENOENT\)/), qw(aio_link aio_symlink aio_rename aio_rename2)),
   (map +("$_ dst=[undef, x]" => qr/cb\(-1 ENOENT\)/), qw(aio_copy aio_move)),
   "statx pathname=[undef, x]"            => qr/\(-1\) ENOENT/,
   # lengths beyond the address space fail; the original dies
   "aio_read length=-2**63"               => qr/cb\(-1 EFAULT\)/,
   "aio_slurp length=-2**63"              => qr/cb\(-1 EFAULT\)/,
   # a modifiable undef is a buffer, as for perl's fcntl; the original crashes
   "aio_fcntl arg=undef"                  => qr/cb\(\d+\)/,
   "aio_ioctl arg=undef"                  => qr/cb\(\d+\)/,
   # not a mapping: croaks; the original crashes
   "mremap scalar="                       => qr/croak: IO::AIO::mremap: scalar not mapped/,
   # an XSUB, not a Perl sub: its argument count is checked
   "aio_scandir no arguments"             => qr/croak: Usage: IO::AIO::aio_scandir\(pathname, maxreq, callback= &PL_sv_undef\)/,
);

# Composite requests that croak on a bad argument leave nothing behind in
# ours; the original may leave a half-made group (its callback runs, or a
# later flush dies): only the croak is compared.
my $COMPOSITE = qr/^aio_(?:copy|move|rmtree|scandir|load|pathsync)$/;

# the functions of both modules
my @ours = split /\n/, run_ours (<<'EOF');
use B ();
for my $pkg (qw(IO::AIO IO::AIO::REQ IO::AIO::GRP IO::AIO::WD)) {
   no strict 'refs';
   for (sort keys %{"${pkg}::"}) {
      my $name = "${pkg}::$_";
      next unless defined &$name;
      my $cv = B::svref_2object (\&$name);
      next if $cv->CONST || $name =~ /::(?:import|bootstrap|[A-Z_0-9]+)$/ && $name !~ /::DESTROY$/;
      next if !$cv->XSUB && $name !~ /^IO::AIO::aio_/;
      print "$name\n";
   }
}
EOF
my %original = map +($_ => 1), split /\n/, run_original (<<'EOF');
use B ();
for my $pkg (qw(IO::AIO IO::AIO::REQ IO::AIO::GRP IO::AIO::WD)) {
   no strict 'refs';
   for (sort keys %{"${pkg}::"}) {
      my $name = "${pkg}::$_";
      next unless defined &$name;
      print "$name\n";
   }
}
EOF

my @funcs = grep $original{$_}, @ours;
cmp_ok scalar @funcs, ">", 100, "functions to sweep";

# AIOTEST_SWEEP=regex: only the functions it matches (when debugging)
@funcs = grep /$ENV{AIOTEST_SWEEP}/, @funcs
   if defined $ENV{AIOTEST_SWEEP};

my $sweep = do { local $/; <DATA> };

for my $func (@funcs) {
   (my $short = $func) =~ s/^IO::AIO:://;
   my $prelude = "our \$FUNC = '$func';\nour \$SAFE_ONLY = " . ($SKIP{$short} ? 1 : 0) . ";\n";

   my ($ours, $ours_crashed) = run_all (\&run_ours_status, $prelude);
   ok !$ours_crashed, "$short: ours ran every case without crashing"
      or diag $ours;
   my ($orig) = run_all (\&run_original_status, $prelude);

   my %orig = map /^(\d+) (.*)/ ? ($1 => $2) : (), split /\n/, $orig;
   my @diffs;
   for (split /\n/, $ours) {
      my ($n, $line) = /^(\d+) (.*)/ or next;
      my ($case) = $line =~ /^(.*?) => /;
      my ($known) = grep $case && "$short $case" =~ /^\Q$_\E/, keys %KNOWN;
      if ($known) {
         like $line, $KNOWN{$known}, "$short: $case (a listed difference)";
         next;
      }
      my $theirs = $orig{$n};
      if (defined $theirs) {
         # the error of a dying callback is kept; the original loses it
         # when a group's callback runs after it
         $theirs = $1 . substr ($line, length $1)
            if $theirs =~ /^(.* flush died: )\z/ && substr ($line, 0, length $1) eq $1;
         ($theirs, $line) = map /^(.*? => croak: .*?)(?: cb\(.*| flush died: .*)?\z/ ? $1 : $_, $theirs, $line
            if $short =~ $COMPOSITE && $line =~ / => croak: /;
      }
      push @diffs, "ours: $line\norig: " . ($theirs // "(none)")
         unless defined $theirs && $theirs eq $line;
   }
   ok !@diffs, "$short: " . (split /\n/, $ours) . " cases as the original"
      or diag join "\n", @diffs;
}

done_testing;

# Runs the sweep of one function from its first case on, in a new process
# after each case that left the process unusable (it says "RESTART") and
# after each case where it crashed (recorded as "N CRASH").  Returns the
# output and whether anything crashed.
sub run_all {
   my ($run, $prelude) = @_;
   my ($all, $from, $crashed) = ("", 0, 0);

   for (;;) {
      my ($out, $status) = $run->("$prelude our \$FROM = $from;\n$AIOTest::BOTH_PRELUDE$sweep");
      my ($last) = $out =~ /(?:^|\n)(\d+) [^\n]*\n(?:RESTART\n)?\z/ ? $1 : $from - 1;
      $all .= $out =~ s/^RESTART\n//mr;
      if ($status) {
         $all .= ($last + 1) . " CRASH\n";
         $crashed = 1;
         $from = $last + 2;
      } elsif ($out =~ /RESTART\n\z/) {
         $from = $last + 1;
      } else {
         last;
      }
      last if $from > 5000;
   }

   ($all, $crashed)
}

__DATA__
use strict;
use warnings;
no warnings qw(uninitialized numeric once void);
use File::Temp ();
use File::Path ();
use Cwd ();
use POSIX ();

$| = 1;
$SIG{ALRM} = sub { print "ALARM\n"; POSIX::_exit (3) };
alarm 120;

my $DIR = File::Temp::tempdir (CLEANUP => 1);
my $REAL = Cwd::realpath ($DIR);
chdir $DIR or die;

(my $short = $FUNC) =~ s/^IO::AIO:://;

sub normal {
   my ($s) = @_;
   $s =~ s/\Q$REAL\E/DIR/g;
   $s =~ s/\Q$DIR\E/DIR/g;
   $s =~ s/ at \S+ line \d+\.?\n?//g;
   $s =~ s/\(0x[0-9a-f]+\)//g;
   $s =~ s/\n/ /g;
   $s = substr ($s, 0, 77) . "..." if length $s > 80;
   $s
}

sub desc {
   my ($v) = @_;
   return "undef" unless defined $v;
   if (my $ref = ref $v) {
      return "REQ"     if $ref eq "IO::AIO::REQ";
      return "GRP"     if $ref eq "IO::AIO::GRP";
      return "WD"      if $ref eq "IO::AIO::WD";
      return "FH"      if $ref eq "GLOB" || $ref eq "IO::Handle";
      return "ARRAY(" . @$v . ")" if $ref eq "ARRAY";
      return "HASH(" . keys (%$v) . ")" if $ref eq "HASH";
      return $ref;
   }
   return "FH" if ref \$v eq "GLOB";
   $v =~ /^-?(?:\d+|\d*\.\d+(?:e[-+]?\d+)?)$/i ? $v : '"' . normal ($v) . '"';
}

# ---- fixtures, made afresh before each case --------------------------------

our (%good, $rfh, $wfh, $closed, $dirh, $map, $pipe_r, $pipe_w);

sub fixtures {
   IO::AIO::min_parallel (4);
   IO::AIO::max_outstanding (0);
   IO::AIO::max_poll_reqs (0);
   IO::AIO::max_poll_time (0);
   IO::AIO::aioreq_pri (0);

   chmod 0700, $DIR;
   File::Path::remove_tree ($_) for glob "$DIR/*";
   open my $f, ">", "$DIR/file" or die; print $f "0123456789" x 10; close $f;
   mkdir "$DIR/dir"; open $f, ">", "$DIR/dir/a" or die; close $f;
   symlink "file", "$DIR/link";
   symlink "missing", "$DIR/dangling";

   open $rfh, "<", "$DIR/file" or die;
   open $wfh, ">", "$DIR/out" or die;
   open $closed, "<", "$DIR/file" or die; close $closed;
   opendir $dirh, $DIR or die;
   pipe $pipe_r, $pipe_w or die;

   IO::AIO::munmap ($map) if defined $map;
   undef $map;
   IO::AIO::mmap ($map, 8192, 3, 0x22) or die "mmap: $!";
}

# stands for the mapped scalar $map itself (passed aliased, not copied)
my $MAP = "\0MAP";

# the value of a parameter, by its name, when it is not the one under test
sub good {
   my ($name) = @_;
   my $buf = "x" x 100;
   my %v = (
      fh => $rfh, rfh => $rfh, ifh => $rfh, in_fh => $rfh, pidfh => undef,
      wfh => $wfh, ofh => $wfh, out_fh => $wfh,
      fh_or_path => "$DIR/file", pathname => "$DIR/file", path => "$DIR/file",
      oldpath => "$DIR/file", newpath => "$DIR/new", special => "none",
      callback => sub { }, cb => sub { },
      data => $buf, scalar => $MAP, sockaddr => my $sa,
      offset => 0, start => 0, dataoffset => 0, in_offset => 0, off_in => undef, off_out => undef,
      length => 10, len => 10, nbytes => 10, count => undef, new_length => 4096, salen => 16,
      flags => 0, mode => 0644, whence => 0, uid => -1, gid => -1, dev => 0, delay => 0,
      request => 3, arg => 0, advice => 0, advice_or_prot => $short eq "mprotect" ? 3 : 0, prot => 3,
      nthreads => 4, seconds => 10, maxreqs => 0, nreqs => 0, nseconds => 0,
      pri => 0, nice => 0, limit => 1, errorno => 5, maj => 8, min => 1,
      sig => 0, pid => $$, clockid => 1, initval => 0, interval => 0, value => 0,
      atime => undef, mtime => undef, targetfd => 0, new_size => -1, new_address => 0,
      mask => 0x7ff, maxreq => 4, args => [], envs => undef, siginfo => undef,
      src => "$DIR/file", dst => "$DIR/new", fstype => "none",
   );
   # a few functions want something else
   $v{scalar} = undef, $v{flags} = 0x22 if $short eq "mmap";
   $v{data} = $MAP if $short =~ /^aio_m(?:sync|touch|lock)$/;
   $v{fh} = IO::AIO::timerfd_create (1) if $short =~ /^timerfd_/;
   $v{rfh} = $pipe_r if $short =~ /^(?:pipesize|tee)$/;
   $v{request} = 0x541B if $short eq "aio_ioctl";
   $v{pathname} = "$DIR/dir" if $short =~ /^aio_(?:readdirx?|scandir|rmtree)$/;
   $v{pathname} = "$DIR/newdir" if $short =~ /^aio_(?:mkdir|mknod)$/;
   $v{pathname} = "$DIR/link" if $short eq "aio_readlink";
   $v{pathname} = "mfd" if $short eq "memfd_create";
   $v{dev} = 0x801 if $short =~ /^m(?:aj|in)or$/;
   $v{pidfh} = IO::AIO::pidfd_open ($$) if $short eq "pidfd_getfd";
   if ($short =~ /^(?:REQ|GRP)::/) {
      $v{req} = $v{grp} = IO::AIO::aio_group (sub { });
      $v{req} = IO::AIO::aio_nop () if $short =~ /^REQ::/;
   }
   $v{self} = undef;
   exists $v{$name} ? $v{$name} : die "no good value for $name";
}

# ---- wrong values, by parameter --------------------------------------------

sub bad_fh {
   (undef => undef, '""' => "", '"abc"' => "abc", "-1" => -1, "9999" => 9999,
    closed => $closed, dirhandle => $dirh, ARRAY => [], HASH => {}, SCALAR => \"x",
    "write-only fh" => $wfh)
}

sub bad_path {
   (undef => undef, '""' => "", missing => "$DIR/missing", "missing/x" => "$DIR/missing/x",
    "file/x" => "$DIR/file/x", NUL => "a\0b", wide => "\x{100}", ARRAY => [], HASH => {},
    SCALAR => \"x", "[undef, x]" => [undef, "x"], "[CWD, missing]" => [IO::AIO::CWD, "$DIR/missing"],
    "[1, 2, 3]" => [1, 2, 3], "[x]" => ["x"], number => 42)
}

sub bad_number {
   (undef => undef, '"abc"' => "abc", "-1" => -1, "-2**63" => -2**63, "2**64" => 2**64,
    "1e30" => 1e30, nan => "nan" + 0, inf => "inf" + 0)
}

sub bad_code {
   ('"nosuch"' => "nosuch", "1" => 1, ARRAY => [], HASH => {}, SCALAR => \"x")
}

sub bad_scalar {
   (undef => undef, literal => "literal", number => 42, ARRAY => [], "perl string" => "x" x 64)
}

sub bad_object {
   (undef => undef, '"abc"' => "abc", ARRAY => [], forged => bless ({}, "IO::AIO::REQ"),
    "forged GRP" => bless ({}, "IO::AIO::GRP"), "plain REQ" => IO::AIO::aio_nop ())
}

sub bad {
   my ($name) = @_;
   return bad_fh ()
      if $name =~ /^(?:fh|rfh|wfh|ifh|ofh|in_fh|out_fh|pidfh)$/;
   return (bad_path (), bad_fh ())
      if $name eq "fh_or_path";
   return bad_path ()
      if $name =~ /^(?:pathname|path|oldpath|newpath|special|src|dst)$/;
   return bad_code ()
      if $name =~ /^(?:callback|cb)$/;
   return bad_scalar ()
      if $name =~ /^(?:data|scalar|sockaddr)$/;
   return bad_object ()
      if $name =~ /^(?:req|grp|self)$/;
   return (bad_number (), ARRAY => [])
      if $name =~ /^(?:args|envs|siginfo)$/;
   bad_number ()
}

# ---- the parameters ----------------------------------------------------------

my %PERL_LEVEL = (
   aio_copy => "src, dst, callback=", aio_move => "src, dst, callback=",
   aio_load => "pathname, data, callback=", aio_rmtree => "pathname, callback=",
   aio_pathsync => "pathname, callback=", aio_scandir => "pathname, maxreq, callback=",
);

my $params;
{
   no strict 'refs';
   eval { &$FUNC ((undef) x 99) };
   ($params) = $@ =~ /^Usage: \Q$FUNC\E\((.*)\)/;
   $params = $PERL_LEVEL{$short} unless defined $params;
   $params = "" unless defined $params;
}
my @params = map { /^(\w+|\.\.\.)\s*(=?)/; [$1, !!$2] } grep length, split /,\s*/, $params;
# how many arguments must be given: up to the last mandatory one
my ($mandatory) = map $_ + 1, grep !$params[$_][1] && $params[$_][0] ne "...", reverse 0 .. $#params;
$mandatory ||= 0;
my $variadic = grep $_->[0] eq "...", @params;
@params = grep $_->[0] ne "...", @params;

# ---- the cases ---------------------------------------------------------------

my @cases;   # [description, sub returning the arguments]

push @cases, ["no arguments", sub { () }]
   if $mandatory;
push @cases, ["too many arguments", sub { (map good ($_->[0]), @params), (1) x 3 }]
   if !$variadic && $PERL_LEVEL{$short} eq "";

unless ($SAFE_ONLY) {
   push @cases, ["no arguments", sub { () }]
      unless $mandatory;
   for my $i (0 .. $#params) {
      my $name = $params[$i][0];
      my @bad = bad ($name);
      while (my ($label, $value) = splice @bad, 0, 2) {
         # up to the one under test, the mandatory ones and the callback
         my ($last) = sort { $b <=> $a } $i, $mandatory - 1, grep $params[$_][0] =~ /^(?:callback|cb)$/, 0 .. $#params;
         push @cases, ["$name=$label", sub {
            my @args = map good ($params[$_][0]), 0 .. $last;
            $args[$i] = $value;
            @args
         }];
      }
   }
}

# ---- running them ------------------------------------------------------------

my $is_request = $short =~ /^aio_/;
my $zero_arg_values = $short =~ /^(?:nreqs|nready|npending|nthreads|aioreq_pri|aioreq_nice|flush|poll|poll_cb|poll_wait|munlockall)$/;

for my $n ($FROM .. $#cases) {
   my ($what, $args) = @{ $cases[$n] };
   fixtures ();

   my (@cb, $cbs);
   my @args = $args->();
   # a callback (not under test) that records what it got
   for my $i (0 .. $#params) {
      next unless $params[$i][0] =~ /^(?:callback|cb)$/ && $i <= $#args && ref $args[$i] eq "CODE";
      $args[$i] = sub {
         ++$cbs;
         my $fail = !@_ || !defined $_[0] || (!ref $_[0] && $_[0] =~ /^-\d+$/);
         @cb = ((map desc ($_), @_), $fail && $short !~ /^aio_(?:nop|group)$/ ? errname ($!) : ());
         # F_DUPFD (what a wrong request becomes when it converts to 0):
         # a new descriptor, whose number depends on what else is open
         @cb = ("FD") if $short eq "aio_fcntl" && $what =~ /^request=/ && !$fail && $_[0] > 2;
      };
   }

   my ($m) = grep defined $args[$_] && $args[$_] eq $MAP, 0 .. $#args;
   $! = 0;
   my @r = eval {
      no strict 'refs';
      defined $m ? &$FUNC (@args[0 .. $m - 1], $map, @args[$m + 1 .. $#args]) : &$FUNC (@args)
   };
   my $err = $@;
   my $errno = $! + 0;
   my $flushed = eval { IO::AIO::flush (); 1 } ? "" : " flush died: " . normal ($@);

   my $out;
   if ($err) {
      $out = "croak: " . normal ($err);
   } elsif ($what eq "no arguments" && !$zero_arg_values) {
      $out = "ran";
   } else {
      $out = "(" . join (", ", map desc ($_), @r) . ")";
      $out .= " " . errname ($errno)
         if !$is_request && (!@r || !defined $r[0] || $r[0] eq "-1" || $r[0] eq "");
   }
   $out .= " cb(" . join (" ", @cb) . ")" if $cbs;
   $out .= " cb*$cbs" if $cbs && $cbs > 1;
   print "$n $what => $out$flushed\n";

   # a composite request that croaked may have left a half-made group
   # behind (in the original): go on in a fresh process
   if ($err && $short =~ /^aio_(?:copy|move|rmtree|scandir|load|pathsync)$/) {
      print "RESTART\n";
      POSIX::_exit (0);
   }
}

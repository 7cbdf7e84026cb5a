#!/usr/bin/perl
# xt/fuzz.pl - throws random argument lists at every IO::AIO function and
# method, one batch per forked child, and reports children that crashed
# (died by a signal), hung, leaked descriptors, left requests outstanding
# or made perl complain about its own data structures.
#
#   perl -Mblib xt/fuzz.pl [--seed N] [--iterations N] [--time SECONDS]
#                          [--calls N] [--timeout SECONDS] [--only REGEX]
#                          [--batch N] [--verbose] [--list]
#
# --seed and --batch reproduce one batch exactly (with the same perl):
# a report names both.  Children run with their working directory in a
# fresh temporary directory and only ever name paths inside it; functions
# that act on the whole host are left out (see %SKIP).
#
# Exit status: 0 if no batch failed, 1 otherwise.  The last line is a
# summary: "fuzz: F functions, B batches, C calls, N failures".

use strict;
use warnings;

use Errno ();
use Fcntl ();
use File::Temp ();
use Getopt::Long ();
use POSIX ();
use Time::HiRes ();
use Scalar::Util ();

use IO::AIO;

my %opt = (
   seed       => time ^ $$,
   iterations => 0,      # 0: until --time runs out
   time       => 30,
   calls      => 40,
   timeout    => 20,
);

Getopt::Long::GetOptions (\%opt, "seed=i", "iterations=i", "time=f", "calls=i",
                          "timeout=f", "only=s", "batch=i", "verbose!", "list!")
   or die "usage: $0 [--seed N] [--iterations N] [--time S] [--calls N] [--timeout S] [--only RE] [--batch N] [--verbose] [--list]\n";

#############################################################################
# What to fuzz

# left out, and why
# Only paths inside the child's temporary directory are ever named, and
# every descriptor the child holds refers to a file there (see run_batch).
my %SKIP = (
   mount             => "changes the host's mounts",
   umount            => "changes the host's mounts",
   fexecve           => "replaces the process",
   mlockall          => "locks the whole process (host memory)",
   aio_mlockall      => "locks the whole process (host memory)",
   aio_sync          => "flushes every filesystem of the host",
   aio_syncfs        => "flushes a whole filesystem of the host",
   reinit            => "abandons the engine's descriptors by design (tested in t/91_regressions.t)",
   bootstrap         => "XSLoader internals",
   import            => "Exporter",
   _entry_path       => "internal helper",
   _on_next_submit   => "AnyEvent::AIO's internal hook",
   _test_panic_next_poll => "makes the engine panic on purpose (tested in t/92_dropin.t)",
   min_fdlimit       => "changes the process's descriptor limit (harmless, but changes the fd accounting)",
);

# functions whose arguments are (partly) constrained to stay harmless
my %CONSTRAIN = (
   # a random signal could kill the child: signal 0 only
   pidfd_send_signal => sub { $_[1] = 0 if @_ > 1 },
   # random pids: only ours (pidfd_getfd would steal descriptors otherwise)
   pidfd_open        => sub { $_[0] = $$ if @_ },
   pidfd_getfd       => sub { },
   # long sleeps would read as hangs
   aio_busy          => sub { no warnings; $_[0] = 0.01 if @_ && (ref $_[0] || !(0 + $_[0] <= 0.01)) },
   # MREMAP_FIXED at a random address overwrites arbitrary memory, as any
   # program asking for it would
   mremap            => sub { $_[2] = IO::AIO::MREMAP_MAYMOVE () if @_ > 2 && (ref $_[2] || !defined $_[2] || ($_[2] =~ /^-?\d/ && int ($_[2]) & 2)); splice @_, 3 if @_ > 3 },
   # MAP_FIXED at a random address, likewise
   mmap              => sub { $_[3] = IO::AIO::MAP_PRIVATE () | IO::AIO::MAP_ANONYMOUS () if @_ > 3 && (ref $_[3] || !defined $_[3] || $_[3] !~ /^\d+$/ || $_[3] & (IO::AIO::MAP_FIXED () | 0x100000 | IO::AIO::MAP_GROWSDOWN ())) },
   # as root, a random mode would make device nodes (a disk, say) that
   # later requests could write to: regular files only, and no FIFOs (an
   # open of one blocks by design)
   aio_mknod         => sub { $_[1] = 0100644 if @_ > 1; $_[2] = 0 if @_ > 2 },
   # blocking reads and writes on pipes would hang the child by design
   splice            => sub { },
   tee               => sub { },
   # descriptors the caller asked to be created are the caller's to close
   aio_fcntl         => sub { $_[1] = (0 + Fcntl::F_GETFD (), Fcntl::F_GETFL (), Fcntl::F_SETFD (), 5 + 0, 1024 + 4, 0x7fffffff)[rand 6] if @_ > 1 },
   aio_ioctl         => sub { $_[1] = (0x541B, 0x5451, 2, 0x80086601, 0, 0xdeadbeef)[rand 6] if @_ > 1 },
);

# methods: package => [names]
my %METHOD_PKG = map { $_ => 1 } qw(IO::AIO::REQ IO::AIO::GRP IO::AIO::WD);

sub functions {
   no strict "refs";

   my %seen;
   my @names = grep !$seen{$_}++, @IO::AIO::EXPORT, @IO::AIO::EXPORT_OK, @IO::AIO::AIO_REQ,
                                 grep { /[a-z]/ && defined &{"IO::AIO::$_"} } sort keys %IO::AIO::;
   my @funcs = map "IO::AIO::$_", grep { defined &{"IO::AIO::$_"} && !$SKIP{$_} } @names;

   for my $pkg (sort keys %METHOD_PKG) {
      push @funcs, map "${pkg}::$_", grep { /[a-z]/ && defined &{"${pkg}::$_"} } sort keys %{"${pkg}::"};
      push @funcs, "${pkg}::DESTROY";   # explicit DESTROY calls, defined or not
   }

   # a few constants too: extra arguments to a constant sub
   push @funcs, map "IO::AIO::$_", qw(O_RDONLY PROT_READ READDIR_DENTS);

   @funcs = grep /$opt{only}/o, @funcs if defined $opt{only};
   @funcs
}

my @FUNCS = functions ();

if ($opt{list}) {
   print "$_\n" for @FUNCS;
   print "skipped: $_ ($SKIP{$_})\n" for sort keys %SKIP;
   exit 0;
}

#############################################################################
# Values, made inside the child (fixtures live there)

package FuzzTie {
   sub TIESCALAR { my ($class, $v) = @_; bless \$v, $class }
   sub FETCH     { ${$_[0]} }
   sub STORE     { ${$_[0]} = $_[1] }
}

package FuzzObj { sub new { bless {}, shift } }

package main;

our (%FX, @HELD, $DEPTH);

sub named_callback { }

sub fixtures {
   my $data = join "", map chr (rand 256), 1 .. 4096;

   for (["f0", $data], ["f1", ""], ["f2", "x" x 100]) {
      open my $fh, ">", $_->[0] or die "$_->[0]: $!";
      print $fh $_->[1];
      close $fh;
   }
   mkdir "d0"; mkdir "d0/sub";
   for (1 .. 5) { open my $fh, ">", "d0/e$_" or die; }

   open $FX{rw},   "+<", "f0"        or die;
   open $FX{ro},   "<",  "f0"        or die;
   open $FX{wo},   ">>", "f2"        or die;
   open $FX{null}, "+<", "f1"        or die;   # not /dev/null: see run_batch
   sysopen $FX{dir}, "d0", Fcntl::O_RDONLY () | Fcntl::O_DIRECTORY () or die;
   open $FX{dup},  "+<&", $FX{rw}    or die;
   open $FX{closed}, "<", "f0"       or die;
   close $FX{closed};
   opendir $FX{dh}, "d0" or die;

   # mapped scalars: anonymous read-write, a read-only file, one unmapped,
   # one whose length is exactly that of the file
   IO::AIO::mmap ($FX{map_rw}, 8192, IO::AIO::PROT_READ () | IO::AIO::PROT_WRITE (), IO::AIO::MAP_PRIVATE () | IO::AIO::MAP_ANONYMOUS ());
   IO::AIO::mmap ($FX{map_ro}, 4096, IO::AIO::PROT_READ (), IO::AIO::MAP_SHARED (), $FX{ro}, 0);
   IO::AIO::mmap ($FX{map_gone}, 4096, IO::AIO::PROT_READ () | IO::AIO::PROT_WRITE (), IO::AIO::MAP_PRIVATE () | IO::AIO::MAP_ANONYMOUS ());
   IO::AIO::munmap ($FX{map_gone});

   # a real request (done later) and a real group
   $FX{req} = IO::AIO::aio_nop (sub { });
   $FX{grp} = IO::AIO::aio_group (sub { });

   if (defined &IO::AIO::aio_wd) {
      IO::AIO::aio_wd (".", sub { $FX{wd} = $_[0] });
      IO::AIO::flush ();
   }
}

my @PATHS = ("f0", "f1", "f2", "d0", "d0/", "d0/sub", "d0/e1", "new", "new2", "d0/new",
             "nonexistent/x", ".", "", "nul\0byte", "x" x 5000, "d0/" . ("y" x 300),
             "f0/notdir", "\x{e9}", "wide\x{263a}", "-1", "123");

# a fresh value of some random kind; returns a reference to the SV to pass
# (the call passes the SVs themselves, aliased, as perl does)
sub value_ref {
   no warnings;
   my $kind = int rand 42;

   return \undef                                 if $kind == 0;
   return \(my $v = (0, 1, -1, 2, 4096, 65536)[rand 6]) if $kind == 1;
   return \(my $v = (2**31, 2**31 - 1, 2**32 + 5, 3 * 2**30, -2**31, 2**63, -2**63, 18446744073709551615, 2**40)[rand 9]) if $kind == 2;
   return \(my $v = (1e300, -1e300, 9**9**9, -9**9**9, (9**9**9) / (9**9**9), 0.5, -0.5)[rand 7]) if $kind == 3;
   return \(my $v = ("abc", "", "0 but true", "0x10", " 12 ", "1e3", "-0")[rand 7]) if $kind == 4;
   return \(my $v = $PATHS[rand @PATHS])         if $kind <= 8;
   return \(my $v = "\x{263a}wide")              if $kind == 9;
   if ($kind == 10) { my $v = "caf\x{e9}"; utf8::upgrade $v; return \$v }
   return \(my $v = "z" x (1 + rand 70000))      if $kind == 11;
   return \(my $v = $FX{(qw(rw ro wo null dir dup closed dh))[rand 8]}) if $kind <= 14;
   return \(my $v = fileno $FX{(qw(rw ro wo null dir dup))[rand 6]})   if $kind == 15;
   return \(my $v = (0, 1, 2, 999, 2**31 + 7)[rand 5])                  if $kind == 16;
   return \(my $v = \*STDIN)                     if $kind == 17;
   return \*STDOUT                               if $kind == 18;   # a glob itself
   return \(my $v = [])                          if $kind == 19;
   return \(my $v = {})                          if $kind == 20;
   return \(my $v = \"str")                      if $kind == 21;
   return \(my $v = sub { })                     if $kind == 22;
   return \(my $v = qr/x/)                       if $kind == 23;
   return \(my $v = FuzzObj->new)                if $kind == 24;
   return \"read-only literal"                   if $kind == 25;
   return \!!1                                   if $kind == 26;
   return \!!0                                   if $kind == 27;
   if ($kind == 28) { tie my $t, "FuzzTie", ${ value_ref () }; return \$t }
   if ($kind == 29) { my $s = "substring target"; return \substr ($s, 2, 5) }
   if ($kind == 30) { "abcdef" =~ /(c.)/; return \$1 }
   return \(my $v = $FX{(qw(map_rw map_ro map_gone))[rand 3]})          if $kind == 31; # a copy
   return \$FX{(qw(map_rw map_ro map_gone))[rand 3]}                    if $kind == 32; # the mapping
   return \(my $v = forged ())                   if $kind <= 35;
   return \(my $v = $HELD[rand @HELD])           if $kind <= 37 && @HELD;
   return \(my $v = $FX{(qw(req grp wd))[rand 3]}) if $kind == 38;
   return \(my $v = pair ())                     if $kind == 39;
   if ($kind == 40) { my $v = ${ value_ref () }; Internals::SvREADONLY ($v, 1); return \$v }
   return \(my $v = callback ());
}

# objects blessed into our classes by someone else
sub forged {
   my $class = (qw(IO::AIO::REQ IO::AIO::GRP IO::AIO::WD))[rand 3];
   my $kind = int rand 8;

   return bless {}, $class                                 if $kind == 0;
   return bless [], $class                                 if $kind == 1;
   return bless \(my $i = 12345), $class                   if $kind == 2;
   return bless sub { }, $class                            if $kind == 3;
   # a mapped scalar (foreign ext magic) blessed into our class
   if ($kind == 4) {
      my $m;
      IO::AIO::mmap ($m, 4096, IO::AIO::PROT_READ () | IO::AIO::PROT_WRITE (), IO::AIO::MAP_PRIVATE () | IO::AIO::MAP_ANONYMOUS ());
      return bless \$m, $class;
   }
   # a tied hash blessed into our class
   if ($kind == 5) {
      require Tie::Hash;
      tie my %h, "Tie::StdHash";
      return bless \%h, $class;
   }
   # a real object re-blessed into another of our classes
   if ($kind == 6 && @HELD) {
      my $o = $HELD[rand @HELD];
      return ref $o && Scalar::Util::blessed ($o) ? bless ($o, $class) : $o;
   }
   # a copy of a real object's body (no magic) blessed again
   if ($kind == 7 && ref $FX{grp}) {
      return bless { %{ $FX{grp} } }, $class;
   }
   bless {}, $class
}

sub pair {
   my @wd = ($FX{wd}, undef, "str", forged (), [], 3);
   my $kind = int rand 6;

   return []                                   if $kind == 0;
   return [$wd[rand @wd]]                      if $kind == 1;
   return [$wd[rand @wd], undef]               if $kind == 2;
   return [undef, $PATHS[rand @PATHS]]         if $kind == 3;
   return [$wd[rand @wd], $PATHS[rand @PATHS], "extra"] if $kind == 4;
   [$wd[rand @wd], $PATHS[rand @PATHS]]
}

# callbacks of every kind: plain, dying, re-entering the module, not code
sub callback {
   my $kind = int rand 12;

   return sub { }                                          if $kind <= 2;
   return sub { die "callback dies\n" }                    if $kind == 3;
   return sub { IO::AIO::poll_cb () }                      if $kind == 4;
   return sub { IO::AIO::aio_nop (sub { }) }               if $kind == 5;
   return sub { local $DEPTH = ($DEPTH || 0) + 1; IO::AIO::flush () if $DEPTH < 3 } if $kind == 6;
   return sub { $_->cancel for grep { Scalar::Util::blessed ($_) && $_->isa ("IO::AIO::REQ") && eval { $_->can ("cancel") } } @HELD[0 .. 3] } if $kind == 7;
   return "main::named_callback"                           if $kind == 8;
   return "NoSuchCallback"                                 if $kind == 9;
   return \"not code"                                      if $kind == 10;
   return sub { IO::AIO::aio_stat ("f0", sub { die "nested dies\n" }) };
}

# descriptors, less the io_uring engine's rings (one per worker thread
# that ever ran, kept by the engine by design)
sub fd_count {
   opendir my $dh, "/proc/self/fd" or return -1;
   my $n = grep { /^\d+$/ && (readlink ("/proc/self/fd/$_") // "") ne "anon_inode:[io_uring]" } readdir $dh;
   $n - 1   # the directory handle itself
}

sub describe {
   my ($v) = @_;
   return "undef" unless defined $v;
   return ref ($v) . "(...)" if ref $v;
   my $s = "$v";
   $s = substr ($s, 0, 20) . "...(" . length ($s) . ")" if length $s > 24;
   $s =~ s/([^\x20-\x7e])/sprintf "\\x{%x}", ord $1/ge;
   "\"$s\""
}

# the arguments for one call of $func
sub arguments {
   my ($func) = @_;
   my $proto = prototype $func;
   my $want = 4;

   if (defined $proto) {
      (my $p = $proto) =~ s/[;\\\[\]]//g;
      $want = length $p;
   }

   my $n = rand () < 0.7 ? $want : int rand ($want + 3);
   my @refs = map value_ref (), 1 .. $n;

   # mostly a callback last for requests
   $refs[-1] = \(my $cb = callback ()) if @refs && $func =~ /::aio_/ && rand () < 0.6;

   # methods: mostly an object first
   if ($func =~ /^IO::AIO::(?:REQ|GRP|WD)::/ && rand () < 0.8) {
      my @obj = grep defined, @HELD[0 .. 5], $FX{grp}, $FX{req}, $FX{wd};
      my $o = rand () < 0.7 && @obj ? $obj[rand @obj] : forged ();
      unshift @refs, \$o;
   }

   @refs
}

#############################################################################
# One batch, in a child

sub run_batch {
   my ($batch, $tmp, $log) = @_;

   srand ($opt{seed} + $batch * 7919);

   # every descriptor a call can name must refer to a file inside the
   # temporary directory: as root, fchmod/fchown/ftruncate/futimes on a
   # descriptor number or handle (0, 1, 2, STDIN) would otherwise change
   # host files such as /dev/null, and calls on 2 would truncate, write
   # or close the log (whose number no call is given)
   chdir $tmp or die "$tmp: $!";
   open STDIN,  "<", "stdin"  or open STDIN, "+>", "stdin" or die "stdin: $!";
   open STDOUT, ">", "stdout" or die "stdout: $!";
   open STDERR, ">", "stderr" or die "stderr: $!";
   open my $logfh, ">", $log or die "$log: $!";
   $logfh->autoflush (1);
   $SIG{__WARN__} = sub { print $logfh "WARN @_" if $_[0] =~ /panic|free|Bizarre|Unbalanced/ };

   # the whole batch must end in time, whatever blocks
   alarm $opt{timeout};

   my $fds_before = fd_count ();
   fixtures ();

   for my $call (1 .. $opt{calls}) {
      my $what = rand;

      if ($what < 0.05) {
         print $logfh "CALL poll_cb\n";
         eval { IO::AIO::poll_cb () };
         next;
      }
      if ($what < 0.07) {
         print $logfh "CALL cancel held\n";
         eval { $HELD[rand @HELD]->cancel } if @HELD;
         next;
      }
      if ($what < 0.09 && ref $FX{grp}) {
         print $logfh "CALL grp->add held\n";
         eval { $FX{grp}->add (@HELD[0 .. rand 3]) };
         next;
      }

      my $func = $FUNCS[rand @FUNCS];
      my @refs = arguments ($func);
      my @args = map $$_, @refs;
      my $constrain = $CONSTRAIN{ ($func =~ /([^:]+)$/)[0] };

      print $logfh "CALL $func (", join (", ", map describe ($$_), @refs), ")\n";

      no strict "refs";
      my @ret = eval {
         if ($constrain) {
            my @copy = @args;
            $constrain->(@copy);
            &$func (@copy);
         } else {
            # the SVs themselves, aliased
            &$func (map $$_, @refs);
         }
      };
      print $logfh "  croak: $@" if $@ && $opt{verbose};

      # max_parallel 0 would keep requests queued forever, by design
      IO::AIO::min_parallel (1) if $func =~ /max_parallel$/;

      push @HELD, grep ref, @ret;
      splice @HELD, 0, @HELD - 20 if @HELD > 20;
   }

   print $logfh "CALL final flush\n";
   IO::AIO::min_parallel (4);
   IO::AIO::max_outstanding (0);
   IO::AIO::max_poll_reqs (0);
   IO::AIO::max_poll_time (0);

   # drain without blocking inside the module, so that a stuck request can
   # be described
   my $deadline = Time::HiRes::time () + $opt{timeout} / 2;
   while (IO::AIO::nreqs () && Time::HiRes::time () < $deadline) {
      my $rin = "";
      vec ($rin, IO::AIO::poll_fileno (), 1) = 1;
      select $rin, undef, undef, 0.05;
      eval { IO::AIO::poll_cb (); 1 };
   }

   # and then with flush, which must return at once
   for (1 .. 100) {
      last unless IO::AIO::nreqs ();
      eval { IO::AIO::flush (); 1 };
   }

   my $left = IO::AIO::nreqs ();
   alarm 0;

   if ($left) {
      printf $logfh "FAIL: %d requests outstanding after flush (ready %d, pending %d, threads %d)\n",
         $left, IO::AIO::nready (), IO::AIO::npending (), IO::AIO::nthreads ();
      system "cat /proc/$$/task/*/wchan | sort | uniq -c >&2; ls -l /proc/$$/fd >&2";
      POSIX::_exit (4);
   }

   # everything we hold goes away; descriptors must be back to where they were
   @HELD = ();
   %FX = ();
   eval { IO::AIO::flush (); 1 };   # callbacks may die, by design
   my $fds_after = fd_count ();

   if ($fds_after > $fds_before) {
      print $logfh "FAIL: descriptors leaked: $fds_before before, $fds_after after\n";
      print $logfh "  ", join (" ", map { readlink "/proc/self/fd/$_" } grep /^\d+$/, do { opendir my $d, "/proc/self/fd"; readdir $d }), "\n";
      POSIX::_exit (3);
   }

   close $logfh;
   POSIX::_exit (0);
}

#############################################################################
# The parent

$| = 1;
my $start = Time::HiRes::time ();
my $root = File::Temp::tempdir ("aio-fuzz-XXXXXX", TMPDIR => 1, CLEANUP => !$ENV{FUZZ_KEEP});
my ($batches, $calls, @failures) = (0, 0);

my @todo_batches = defined $opt{batch} ? ($opt{batch}) : ();

for (my $batch = defined $opt{batch} ? $opt{batch} : 0; ; ++$batch) {
   last if defined $opt{batch} && $batches;
   last if $opt{iterations} && $batches >= $opt{iterations};
   last if !$opt{iterations} && !defined $opt{batch} && Time::HiRes::time () - $start >= $opt{time};

   my $tmp = "$root/b$batch";
   mkdir $tmp or die "$tmp: $!";
   my $log = "$root/log$batch";

   my $pid = fork;
   die "fork: $!" unless defined $pid;

   unless ($pid) {
      # the child must not run the parent's END blocks or File::Temp cleanup
      eval { run_batch ($batch, $tmp, $log) };
      my $error = $@ || "run_batch returned\n";
      if (open my $fh, ">>", $log) { print $fh "FAIL: harness: $error" }
      POSIX::_exit (5);
   }

   my $deadline = Time::HiRes::time () + $opt{timeout} + 10;
   my $status;
   while (1) {
      my $r = waitpid $pid, POSIX::WNOHANG ();
      if ($r == $pid) { $status = $?; last }
      if (Time::HiRes::time () > $deadline) {
         kill 9, $pid;
         waitpid $pid, 0;
         $status = "timeout";
         last;
      }
      Time::HiRes::sleep (0.01);
   }

   ++$batches;
   $calls += $opt{calls};

   # the log, then what the child wrote on stderr
   my $text = "";
   for my $file ($log, "$tmp/stderr") {
      open my $fh, "<", $file or next;
      local $/;
      $text .= <$fh> // "";
   }
   my $problem;

   if ($status eq "timeout" || ($status & 127) == POSIX::SIGALRM ()) {
      $problem = "hang";
   } elsif ($status & 127) {
      $problem = "crash (signal " . ($status & 127) . ")";
   } elsif ($status >> 8) {
      $problem = { 3 => "fd leak", 4 => "requests left", 5 => "harness error" }->{$status >> 8} || "exit " . ($status >> 8);
   } elsif ($text =~ /^(?!CALL)(.*(?:panic|Attempt to free|Use of freed value|Bizarre|Unbalanced|Semi-panic|Out of memory|double free|corrupted).*)$/m) {
      $problem = "perl complained: $1";
   }

   if ($problem) {
      my @calls = $text =~ /^(CALL .*)$/mg;
      my @tail = grep !/^CALL/, split /\n/, $text;
      push @failures, "batch $batch: $problem; last calls:\n      "
                    . join ("\n      ", @calls[($#calls > 4 && !defined $opt{batch} ? $#calls - 4 : 0) .. $#calls])
                    . (@tail ? "\n    output:\n      " . join ("\n      ", @tail[($#tail > 6 && !defined $opt{batch} ? $#tail - 6 : 0) .. $#tail]) : "")
                    . "\n    reproduce: perl -Mblib xt/fuzz.pl --seed $opt{seed} --batch $batch --calls $opt{calls}\n";
      print "FAIL $failures[-1]";
   } elsif ($opt{verbose}) {
      print "ok batch $batch\n";
   }

   system "rm", "-rf", $tmp unless $ENV{FUZZ_KEEP};
   unlink $log unless $ENV{FUZZ_KEEP};
}

printf "fuzz: %d functions, %d batches, %d calls, %d failures (seed %d, %.1f s)\n",
   scalar @FUNCS, $batches, $calls, scalar @failures, $opt{seed}, Time::HiRes::time () - $start;

exit (@failures ? 1 : 0);

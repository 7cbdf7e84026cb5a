#!/usr/bin/perl

# Compares the Perl-visible surface of our IO::AIO (loaded from blib/) with
# the original IO::AIO installed in the system perl:
#
#   (a) @IO::AIO::EXPORT, @IO::AIO::EXPORT_OK and @IO::AIO::AIO_REQ as sets
#   (b) existence and prototype of every function the original defines in
#       IO::AIO, IO::AIO::REQ, IO::AIO::GRP and IO::AIO::WD (plus the @ISA of
#       the object classes and the module version)
#   (c) the value of every constant sub in IO::AIO
#
# The very same describer code (below) is run in a subprocess of the system
# perl with a clean @INC for the original, and in this process for ours.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use AIOTest;
use Test::More;

my $ours_path;
BEGIN { $ours_path = use_ours () }

skip_unless_original ();

# Returns a line-based, tab-separated description of the loaded IO::AIO.
# It must only use fully-qualified names, as it runs in both perls.
my $DESCRIBE = <<'EOF';
sub {
   require B;
   no strict 'refs';

   my @out;
   push @out, "VERSION\t$IO::AIO::VERSION";

   for my $var (qw(EXPORT EXPORT_OK AIO_REQ)) {
      push @out, "LIST\t$var\t$_" for @{"IO::AIO::$var"};
   }

   for my $pkg (qw(IO::AIO IO::AIO::REQ IO::AIO::GRP IO::AIO::WD)) {
      push @out, join "\t", "ISA", $pkg, @{"${pkg}::ISA"};

      for my $name (sort keys %{"${pkg}::"}) {
         next if $name =~ /::\z/;                  # nested package
         next unless defined &{"${pkg}::$name"};

         my $cv    = \&{"${pkg}::$name"};
         my $b     = B::svref_2object ($cv);
         my $proto = prototype $cv;
         my $const = $b->CvFLAGS & B::CVf_CONST () ? 1 : 0;
         my $home  = eval { $b->GV->STASH->NAME };
         $home = "" unless defined $home;

         push @out, join "\t", "SUB", $pkg, $name,
                               (defined $proto ? "P:$proto" : "U"),
                               $const, $home;

         if ($const && $pkg eq "IO::AIO") {
            my $v = $cv->();
            push @out, join "\t", "CONST", $name,
                                  ref $v       ? "REF:" . ref $v
                                : defined $v   ? "V:$v"
                                :                "UNDEF";
         }
      }
   }

   join "", map "$_\n", @out
}
EOF

sub parse {
   my ($text) = @_;

   my %d = (lists => {}, isa => {}, subs => {}, consts => {});

   for (split /\n/, $text) {
      my ($type, @f) = split /\t/, $_, -1;

      if    ($type eq "VERSION") { $d{version} = $f[0] }
      elsif ($type eq "LIST")    { $d{lists}{$f[0]}{$f[1]}++ }
      elsif ($type eq "ISA")     { my $p = shift @f; $d{isa}{$p} = join " ", @f }
      elsif ($type eq "SUB")     { $d{subs}{$f[0]}{$f[1]} = { proto => $f[2], const => $f[3], home => $f[4] } }
      elsif ($type eq "CONST")   { $d{consts}{$f[0]} = $f[1] }
      else                       { die "unparsable description line: $_\n" }
   }

   \%d
}

my $orig_text = run_original ("print +($DESCRIBE)->();\n");
defined $orig_text && length $orig_text
   or BAIL_OUT ("could not describe the original IO::AIO");

my $ours_text = do {
   local $@;
   my $describe = eval $DESCRIBE or die $@;
   $describe->()
};

my $orig = parse ($orig_text);
my $ours = parse ($ours_text);

like $ours_path, qr{(?:^|[/\\])blib[/\\]}, "our IO::AIO is loaded from blib ($ours_path)";

# what a drop-in replacement has to accept: use IO::AIO <original version>
ok defined $ours->{version} && $ours->{version} =~ /^\d+(?:\.\d+)?\z/
   && $ours->{version} >= $orig->{version},
   "\$IO::AIO::VERSION ("
   . (defined $ours->{version} ? $ours->{version} : "undef")
   . ") >= original ($orig->{version})";

############################################################################
# (a) export lists
#
# Our additions, exported on request only, are the one allowed difference
# (a program written for 4.80 imports nothing it did not ask for).

my %OURS_ONLY = (EXPORT_OK => { map +($_ => 1), qw(stats stats_reset slow_request) });

for my $var (qw(EXPORT EXPORT_OK AIO_REQ)) {
   my $o = $orig->{lists}{$var} || {};
   my $u = $ours->{lists}{$var} || {};
   my $additions = $OURS_ONLY{$var} || {};

   my @missing = sort grep !exists $u->{$_}, keys %$o;
   my @extra   = sort grep !exists $o->{$_} && !$additions->{$_}, keys %$u;

   ok !@missing && !@extra, "\@IO::AIO::$var has the same names as the original ("
                            . (keys %$o) . ")"
      or diag "\@IO::AIO::$var\n  missing: @missing\n  extra:   @extra";
}

############################################################################
# (b) functions and their prototypes
#
# Compared: every sub the original defines directly in one of the four
# packages - public functions, methods and constant subs alike - must exist
# in the same package in ours, with an identical prototype (or lack of one).
#
# Not compared:
#  - bootstrap: created by XSLoader/DynaLoader while loading the shared
#    object; an artefact of how the module is loaded, not part of the API.
#  - DESTROY: object destruction is an implementation detail (ours may free
#    working directories by other means, e.g. magic); nobody calls it, and
#    its prototype is meaningless.
#  - perl's special blocks and hooks (BEGIN, END, INIT, CHECK, UNITCHECK,
#    import, unimport, AUTOLOAD, CLONE, CLONE_SKIP, can, isa, VERSION):
#    these are machinery, not API (IO::AIO's import comes from Exporter).
#  - names starting with "_" (e.g. IO::AIO::_on_next_submit): private
#    helpers of the original's own Perl code, not documented API.
#  - subs whose home package is elsewhere (imported functions, e.g. Carp's
#    croak): they belong to the exporting module, not to IO::AIO.
# Subs that only ours defines are merely noted, not failures.

my %SKIP = map +($_ => 1), qw(
   bootstrap DESTROY
   BEGIN END INIT CHECK UNITCHECK
   import unimport AUTOLOAD CLONE CLONE_SKIP can isa VERSION
);

sub skip_sub {
   my ($pkg, $name, $info) = @_;

   $SKIP{$name}
      or $name =~ /^_/
      or ($info->{home} ne "" && $info->{home} ne $pkg)
}

for my $pkg (qw(IO::AIO::REQ IO::AIO::GRP IO::AIO::WD)) {
   my $o = defined $orig->{isa}{$pkg} ? $orig->{isa}{$pkg} : "";
   my $u = defined $ours->{isa}{$pkg} ? $ours->{isa}{$pkg} : "";
   is $u, $o, "\@${pkg}::ISA";
}

for my $pkg (qw(IO::AIO IO::AIO::REQ IO::AIO::GRP IO::AIO::WD)) {
   my $o = $orig->{subs}{$pkg} || {};
   my $u = $ours->{subs}{$pkg} || {};

   my @names = sort grep !skip_sub ($pkg, $_, $o->{$_}), keys %$o;

   subtest "functions and prototypes in $pkg (" . @names . ")" => sub {
      plan skip_all => "the original defines no functions in $pkg"
         unless @names;

      for my $name (@names) {
         my $want = $o->{$name}{proto};
         my $show = $want eq "U" ? "no prototype" : "prototype '" . substr ($want, 2) . "'";

         if (!$u->{$name}) {
            fail "${pkg}::$name exists";
            next;
         }

         my $have = $u->{$name}{proto};
         ok $have eq $want, "${pkg}::$name has $show"
            or diag "${pkg}::$name: ours has "
                    . ($have eq "U" ? "no prototype" : "prototype '" . substr ($have, 2) . "'");
      }
   };

   my @extra = sort grep !exists $o->{$_} && !skip_sub ($pkg, $_, $u->{$_}), keys %$u;
   note "functions only ours defines in $pkg: @extra"
      if @extra;
}

############################################################################
# (c) constants

{
   my $o = $orig->{consts};
   my $u = $ours->{consts};

   my @names = sort keys %$o;

   subtest "constant values (" . @names . ")" => sub {
      for my $name (@names) {
         my $info = $ours->{subs}{"IO::AIO"}{$name};

         unless ($info && $info->{const}) {
            fail "IO::AIO::$name is a constant sub";
            diag $info ? "IO::AIO::$name exists, but is not a constant sub"
                       : "IO::AIO::$name does not exist";
            next;
         }

         is $u->{$name}, $o->{$name}, "IO::AIO::$name";
      }
   };

   my @extra = sort grep !exists $o->{$_}, keys %$u;
   note "constants only ours defines: @extra"
      if @extra;
}

# CWD and INVALID_WD are working directory objects, their values are
# compared as "REF:IO::AIO::WD" above; they must also be distinct objects
SKIP: {
   skip "original has no IO::AIO::CWD/INVALID_WD", 1
      unless exists $orig->{consts}{CWD} && exists $orig->{consts}{INVALID_WD};

   my ($cwd, $inv) = eval { (IO::AIO::CWD (), IO::AIO::INVALID_WD ()) };
   ok ref $cwd && ref $inv && $cwd != $inv, "IO::AIO::CWD and IO::AIO::INVALID_WD are distinct objects";
}

done_testing;

# Regression: "use Coro::AIO" died with "IO::AIO::aio_symlink(): unable to
# remove callback slot from prototype" while some requests of @AIO_REQ were
# not built in.  Coro::AIO derives a wrapper from the prototype of every
# name in @IO::AIO::AIO_REQ when it loads, so each one needs its 4.80
# prototype even before (or without) an implementation.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Test::More;

# Coro::AIO's derivation, as a fact about what it needs: no ";" and one
# trailing "$" (the callback) that can be removed
sub coro_proto {
   my ($proto) = @_;
   return undef unless defined $proto;
   $proto =~ s/;//g;
   $proto =~ s/^(\$*)\$$/$1/ or return undef;
   "$proto;"
}

my @reqs = @IO::AIO::AIO_REQ;
cmp_ok scalar @reqs, ">", 40, "\@IO::AIO::AIO_REQ lists the requests";

for my $name (@reqs) {
   my $proto = prototype "IO::AIO::$name";
   ok defined coro_proto ($proto), "$name has a prototype Coro::AIO can use ("
                                  . (defined $proto ? $proto : "none") . ")";
}

SKIP: {
   my $orig = run_original (<<'EOF');
print "$_\t", prototype ("IO::AIO::$_"), "\n" for @IO::AIO::AIO_REQ;
EOF
   skip "the original IO::AIO is not installed", 1 unless defined $orig;

   my %want = map { chomp; split /\t/, $_, 2 } split /^/, $orig;
   my %have = map +($_ => prototype "IO::AIO::$_"), @reqs;
   is_deeply \%have, \%want, "the prototypes of \@AIO_REQ are those of the original";
}

SKIP: {
   my $out = eval { run_ours (<<'EOF') };
exit 3 unless eval { require Coro; 1 };
require Coro::AIO;
my @st = Coro::AIO::aio_stat ("/");
print "loaded @st ", (-d _ ? "dir" : "nodir"), "\n";
EOF
   if (!defined $out && $@ =~ /status 768\b/) {
      skip "Coro is not installed", 1;
   }
   is $out, "loaded 0 dir\n", "Coro::AIO loads on ours and its aio_stat works"
      or diag $@;
}

done_testing;

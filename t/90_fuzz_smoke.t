# A bounded run of xt/fuzz.pl: random argument lists for every function and
# method, in forked children; fails on any crash, hang, descriptor leak or
# request left outstanding.  FUZZ_SECONDS and FUZZ_SEED override the
# defaults (25 s, a fixed seed, so that a test run is repeatable; longer
# and other seeds: xt/fuzz.pl itself, or FUZZ_SEED=clock).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AIOTest;

BEGIN { use_ours () }

my $fuzz    = "$FindBin::Bin/../xt/fuzz.pl";
my $seconds = $ENV{FUZZ_SECONDS} || 25;
my $seed    = $ENV{FUZZ_SEED} || 20261122;
$seed = (time ^ $$) % 1000000 if $seed eq "clock";

-f $fuzz or plan skip_all => "xt/fuzz.pl not found";

note "fuzzing for $seconds s with seed $seed";

my @inc = map "-I$_", grep !ref, @INC;
my $out = `$^X @inc $fuzz --seed $seed --time $seconds --timeout 20 2>&1`;
my $status = $?;

my ($summary) = $out =~ /^(fuzz: .*)$/m;
ok defined $summary, "the fuzzer ran to its summary" or diag $out;
note $summary if defined $summary;

my ($batches, $failures) = ($summary // "") =~ /(\d+) batches, \d+ calls, (\d+) failures/;
cmp_ok $batches // 0, ">", 0, "some batches ran";
is $failures, 0, "no crash, hang, leak or stranded request" or diag $out;
is $status, 0, "exit status 0";

done_testing;

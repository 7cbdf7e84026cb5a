# bin/aio-stat (issue 15): runs a program unchanged (arguments, stdout,
# exit status) and reports its requests, as a table or JSON, at the end
# and every N seconds with --interval.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Spec ();
use File::Temp ();
use JSON::PP ();
use AIOTest qw(:DEFAULT spew slurp);
use Treescan qw(run_cmd);

BEGIN { use_ours () }

my $tmp = File::Temp::tempdir (CLEANUP => 1);

# aio-stat with this perl and our blib/ (as treescan_cmd does)
my @aio_stat = ($^X, (map "-I" . File::Spec->rel2abs ($_), grep m{(?:^|/)blib/}, @INC),
                File::Spec->rel2abs ("$FindBin::Bin/../bin/aio-stat"));

# 4 stats, 2 of them of missing files, and a busy request; prints its
# arguments and which IO::AIO it loaded, and exits with status 3
spew ("$tmp/prog.pl", <<'EOF');
use IO::AIO;
print "args: @ARGV\n";
print "loaded: $INC{'IO/AIO.pm'}\n";
aio_stat "/", sub { } for 1, 2;
aio_stat "/nonexistent/aio-stat-$_" for 1, 2;
IO::AIO::aio_busy 0.01;
IO::AIO::flush;
exit 3;
EOF

subtest "a table at the end; the program runs unchanged" => sub {
   my ($out, $err, $status) = run_cmd ({}, @aio_stat, "$tmp/prog.pl", "one", "two");
   is $status, 3, "the program's exit status";
   like $out, qr/^args: one two$/m, "its arguments and stdout";
   like $out, qr/^loaded: .*blib/m, "it ran with our IO::AIO";
   like $err, qr/^aio-stat: .*engine (threads|uring)/m, "a heading";
   like $err, qr/^op\s+requests\s+done\s+failed\s+cancel\s+ring\s+queued p50/m, "column headings";
   like $err, qr/^stat\s+4\s+4\s+2\s+0\s/m, "stat: 4 requests, 4 done, 2 failed, 0 cancelled";
   like $err, qr/^busy\s+1\s+1\s+0\s+0\s+0\s+\S+\s+\S+\s+\S+\s+\d+(\.\d+)?ms\s/m, "busy: executed for milliseconds";
   like $err, qr/^total\s+5\s+5\s+2\s/m, "total";
   like $err, qr/^failed: stat ENOENT 2$/m, "failures by errno";
   unlike $out, qr/aio-stat:|requests/, "nothing of the report on stdout";
};

subtest "--json to a file" => sub {
   my ($out, $err, $status) = run_cmd ({}, @aio_stat, "--json", "-o", "$tmp/report.json", "$tmp/prog.pl");
   is $status, 3, "exit status";
   is $err, "", "nothing on stderr";
   my @lines = split /\n/, slurp ("$tmp/report.json");
   is scalar @lines, 1, "one report";
   my $report = JSON::PP::decode_json ($lines[0]);
   is_deeply [@{ $report->{ops}{stat} }{qw(submitted completed failed)}], [4, 4, 2], "stat counts";
   is_deeply $report->{ops}{stat}{errors}, { ENOENT => 2 }, "errors by name";
   cmp_ok $report->{ops}{busy}{exec}{max}, ">=", 0.01, "busy's execution time";
   cmp_ok abs ($report->{time} - time), "<", 60, "time";
};

subtest "--interval reports from poll_cb while the program runs" => sub {
   spew ("$tmp/loop.pl", <<'EOF');
use IO::AIO;
for (1 .. 8) {
   IO::AIO::aio_busy 0.05;
   IO::AIO::flush;
}
EOF
   my ($out, $err, $status) = run_cmd ({}, @aio_stat, "-j", "-i", "0.1", "$tmp/loop.pl");
   is $status, 0, "exit status";
   my @reports = map JSON::PP::decode_json ($_), split /\n/, $err;
   cmp_ok scalar @reports, ">=", 3, "reports during the run and at the end";
   my @done = map $_->{total}{completed}, @reports;
   is_deeply [sort { $a <=> $b } @done], \@done, "cumulative counts";
   is $done[-1], 8, "the last report counts every request";
   cmp_ok $done[0], "<", 8, "the first came before the end";
};

subtest "usage" => sub {
   my ($out, $err, $status) = run_cmd ({}, @aio_stat);
   is $status, 2, "no program: status 2";
   like $err, qr/^usage: aio-stat/, "usage on stderr";
   ($out, $err, $status) = run_cmd ({}, @aio_stat, "--help");
   is $status, 0, "--help: status 0";
   like $out, qr/--interval N/, "--help lists the options";
   ($out, $err, $status) = run_cmd ({}, @aio_stat, "--bogus", "$tmp/prog.pl");
   is $status, 2, "an unknown option: status 2";
};

done_testing;

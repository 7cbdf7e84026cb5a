package IO::AIO::StatReport;

# Reports IO::AIO's statistics of a program that does not know it is
# watched: loaded with perl -MIO::AIO::StatReport (bin/aio-stat does
# that), it turns collection on, prints a report when the program ends
# and, if asked, every N seconds from inside IO::AIO::poll_cb.

use strict;
use warnings;

use IO::AIO ();

our $VERSION = $IO::AIO::VERSION;

my %opt;
my ($out, $reporter_pid);

sub import {
   my ($class, %args) = @_;

   # bin/aio-stat passes its options in the environment (a -M list cannot
   # hold every file name); they are not meant for the program's children
   %opt = (
      interval => delete $ENV{IO_AIO_STAT_INTERVAL},
      json     => delete $ENV{IO_AIO_STAT_JSON},
      output   => delete $ENV{IO_AIO_STAT_OUTPUT},
      %args,
   );
   delete $ENV{IO_AIO_STATS};

   if (defined $opt{output} && length $opt{output}) {
      open $out, ">", $opt{output}
         or die "IO::AIO::StatReport: $opt{output}: $!\n";
   } else {
      # a copy: the program may close or redirect its STDERR
      open $out, ">&", \*STDERR
         or die "IO::AIO::StatReport: cannot duplicate STDERR: $!\n";
   }
   select ((select ($out), $| = 1)[0]);

   $reporter_pid = $$;
   IO::AIO::stats_reset ();
   IO::AIO::_on_poll_interval ($opt{interval}, \&report)
      if $opt{interval} && $opt{interval} > 0;
}

# Prints the statistics so far: a table, or one line of JSON.
sub report {
   # a forked child reports nothing: its parent does
   return unless defined $reporter_pid && $$ == $reporter_pid;

   my $stats = IO::AIO::stats ();
   print $out $opt{json} ? json ($stats) : table ($stats);
}

END {
   if (defined $reporter_pid && $$ == $reporter_pid) {
      # what is still outstanding counts too (IO::AIO's own END block,
      # which runs after this one, would deliver it after the report)
      IO::AIO::flush ();
      report ();
   }
}

sub json {
   my ($stats) = @_;
   require JSON::PP;
   JSON::PP->new->canonical->encode ({ time => time, %$stats }) . "\n";
}

# A duration in seconds, with three significant digits and a unit.
sub duration {
   my ($secs) = @_;

   return "0" unless $secs > 0;

   my ($value, $unit) = $secs < 1e-6 ? ($secs * 1e9, "ns")
                      : $secs < 1e-3 ? ($secs * 1e6, "us")
                      : $secs < 1    ? ($secs * 1e3, "ms")
                      :                ($secs,       "s");

   sprintf +($value >= 100 ? "%.0f%s" : $value >= 10 ? "%.1f%s" : "%.2f%s"), $value, $unit
}

my @COLUMNS = (
   # heading, width, value of an op's statistics
   ["op",        -15, sub { $_[1] }],
   ["requests",    9, sub { $_[0]{submitted} }],
   ["done",        9, sub { $_[0]{completed} }],
   ["failed",      7, sub { $_[0]{failed} }],
   ["cancel",      7, sub { $_[0]{cancelled} }],
   ["ring",        7, sub { $_[0]{on_ring} }],
   ["queued p50",  11, sub { duration ($_[0]{queued}{p50}) }],
   ["p99",         8, sub { duration ($_[0]{queued}{p99}) }],
   ["max",         8, sub { duration ($_[0]{queued}{max}) }],
   ["exec p50",    9, sub { duration ($_[0]{exec}{p50}) }],
   ["p99",         8, sub { duration ($_[0]{exec}{p99}) }],
   ["max",         8, sub { duration ($_[0]{exec}{max}) }],
   ["exec sum",    9, sub { duration ($_[0]{exec}{sum}) }],
);

sub _row {
   join (" ", map sprintf ("%*s", $_->[1], $_[0]->($_)), @COLUMNS) =~ s/\s+$//r . "\n"
}

# The statistics as a compact table.
sub table {
   my ($s) = @_;

   my $text = sprintf "aio-stat: %s, engine %s, %d threads (%d started, %d exited), %d outstanding, %d results waiting\n",
                      duration ($s->{elapsed}), $s->{engine}, $s->{nthreads}, $s->{threads_started},
                      $s->{threads_exited}, $s->{nreqs}, $s->{npending};

   $text .= _row (sub { $_[0][0] });
   for my $name (sort keys %{ $s->{ops} }) {
      my $op = $s->{ops}{$name};
      $text .= _row (sub { $_[0][2]->($op, $name) });
   }
   $text .= _row (sub { $_[0][2]->($s->{total}, "total") })
      if keys %{ $s->{ops} } != 1;

   my @failures = map {
      my $name = $_;
      my $errors = $s->{ops}{$name}{errors};
      map "$name $_ $errors->{$_}", sort keys %$errors
   } sort keys %{ $s->{ops} };
   $text .= "failed: " . join (", ", @failures) . "\n"
      if @failures;

   $text .= sprintf "engine: %d wake-ups, %d sleeps, %d watches, %d spins, %d given back, %d to the ring (%d entered by its thread)\n",
                    @$s{qw(wakeups sleeps watches spins given_back ring_submitted ring_kicked)};

   $text
}

1;

__END__

=head1 NAME

IO::AIO::StatReport - print IO::AIO's statistics of a program that runs unchanged

=head1 SYNOPSIS

   aio-stat [--interval N] [--json] [--output FILE] program.pl [args]

   perl -MIO::AIO::StatReport program.pl
   perl -MIO::AIO::StatReport=interval,5,json,1 program.pl

=head1 DESCRIPTION

Loaded before a program (this is what L<aio-stat> does), this module turns
on the statistics of L<IO::AIO> (see L<IO::AIO/STATISTICS>) and prints them
when the program ends, after the requests still outstanding were handled:
as a table on standard error, or with C<json> as one line of JSON (the hash
of C<IO::AIO::stats> plus C<time>, the epoch seconds).  With C<interval>,
it also prints them every so many seconds (cumulative, since the start).
Those reports come from inside C<IO::AIO::poll_cb>, on the program's own
thread, never from a signal handler or another thread; so a program that
stops calling C<poll_cb> (one that sleeps, or blocks elsewhere) gets its
next report when it calls it again, and the final one in any case.

Options, as import arguments or, from L<aio-stat>, in the environment
variables C<IO_AIO_STAT_INTERVAL>, C<IO_AIO_STAT_JSON> and
C<IO_AIO_STAT_OUTPUT>: C<interval> (seconds), C<json> (true for JSON),
C<output> (a file to write to instead of standard error).  A forked child
does not report.

=head1 FUNCTIONS

=over 4

=item IO::AIO::StatReport::table ($stats)

The statistics from C<IO::AIO::stats> as a table: one line per kind of
request and one for the total, with the counts, the queue times and the
execution times (50th and 99th percentiles, maximum) and the total time
executing; then the failures by errno and the engine's counters.

=item IO::AIO::StatReport::json ($stats)

The statistics as one line of JSON, with the epoch seconds as C<time>.

=item IO::AIO::StatReport::duration ($seconds)

Seconds with a unit and three significant digits: C<850ns>, C<12.3us>,
C<4.56ms>, C<1.20s>.

=back

=head1 SEE ALSO

L<aio-stat>, L<IO::AIO/STATISTICS>.

=cut

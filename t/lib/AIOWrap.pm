package AIOWrap;

# Test helpers for the composite requests, which call the primitive
# requests by name at run time, so a test can look over their shoulder.
#
# my $guard = wrap_aio (aio_lstat => sub { my ($orig, @args) = @_; ... });
#                       replace IO::AIO::aio_lstat by the given sub (with
#                       the original's prototype) until $guard is destroyed;
#                       the sub gets the original as its first argument
# my @guards = record_pri (\@log, qw(aio_open aio_close));
#                       wrap each named request so that every call pushes
#                       "name:priority" (aioreq_pri at submission) to @log
#                       and then calls the original; until the guards go
# errname ($errno)      the symbolic name of an errno value ("ENOENT")

use strict;
use warnings;

use Exporter ();
use Scalar::Util ();

our @ISA    = ('Exporter');
our @EXPORT = qw(wrap_aio record_pri errname);

sub wrap_aio {
   my ($name, $wrap) = @_;

   no strict 'refs';
   my $orig = \&{"IO::AIO::$name"};
   my $new  = sub { $wrap->($orig, @_) };
   Scalar::Util::set_prototype (\&$new, prototype $orig);

   {
      no warnings;
      *{"IO::AIO::$name"} = $new;
   }

   bless [$name, $orig], "AIOWrap::Guard"
}

sub AIOWrap::Guard::DESTROY {
   my ($name, $orig) = @{ $_[0] };
   no strict 'refs';
   no warnings;
   *{"IO::AIO::$name"} = $orig;
}

sub record_pri {
   my ($log, @names) = @_;

   map {
      my $name = $_;
      wrap_aio $name => sub {
         my $orig = shift;
         push @$log, "$name:" . IO::AIO::aioreq_pri ();
         $orig->(@_)
      }
   } @names
}

sub errname {
   my ($errno) = @_;
   local $! = $errno;
   my ($name) = grep $!{$_}, sort keys %!;
   defined $name ? $name : "errno $errno"
}

1

package AIOWrap;

# Test helpers for the composite requests, which call the primitive
# requests by name at run time, so a test can look over their shoulder.
#
# my $guard = wrap_aio (aio_lstat => sub { my ($orig, @args) = @_; ... });
#                       replace IO::AIO::aio_lstat by the given sub (with
#                       the original's prototype) until $guard is destroyed;
#                       the sub gets the original as its first argument
# errname ($errno)      the symbolic name of an errno value ("ENOENT")

use strict;
use warnings;

use Exporter ();
use Scalar::Util ();

our @ISA    = ('Exporter');
our @EXPORT = qw(wrap_aio errname);

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

sub errname {
   my ($errno) = @_;
   local $! = $errno;
   my ($name) = grep $!{$_}, sort keys %!;
   defined $name ? $name : "errno $errno"
}

1

#!/usr/bin/env bash
# perl (built with the system malloc) under LD_PRELOAD=libhakmem.so: hashes, strings, arrays and
# sorting, a few million operations, results checked against closed forms.
source tests/link/preload_lib.sh

cat >"$TMP/work.pl" <<'PL'
use strict;
use warnings;
my %h;
for my $i (1 .. 300000) { $h{"key$i"} = ("v" x ($i % 50)) . $i; }
my ($n, $len) = (0, 0);
for my $k (keys %h) { $n++; $len += length $h{$k}; }
print "hash $n $len\n";
delete @h{ grep { /7$/ } keys %h };
print "after delete ", scalar(keys %h), "\n";
my @a = sort { $a <=> $b } map { $_ * 7 % 1000003 } 1 .. 500000;
print "sorted $a[0] $a[1] $a[-1] ", scalar(@a), "\n";
my $s = "";
$s .= chr(65 + $_ % 26) for 0 .. 999999;
my $count = () = $s =~ /XYZ/g;
print "string ", length($s), " $count\n";
my @words = map { join "", reverse split //, "w$_" } 1 .. 200000;
my %seen;
$seen{$_}++ for @words;
print "words ", scalar(keys %seen), "\n";
PL

hakmem_run "$TMP/out" "$TMP/err" /usr/bin/perl "$TMP/work.pl"
# The expected values, computed independently (python3 without hakmem).
want=$(env -u LD_PRELOAD /usr/bin/python3 -c '
n = 300000
print("hash %d %d" % (n, sum(i % 50 + len(str(i)) for i in range(1, n + 1))))
print("after delete %d" % sum(1 for i in range(1, n + 1) if i % 10 != 7))
v = sorted(i * 7 % 1000003 for i in range(1, 500001))
print("sorted %d %d %d %d" % (v[0], v[1], v[-1], len(v)))
s = "".join(chr(65 + i % 26) for i in range(1000000))
print("string %d %d" % (len(s), s.count("XYZ")))
print("words %d" % len(set("w%d" % i for i in range(1, 200001))))')
expect_eq "perl's results" "$(cat "$TMP/out")" "$want"
expect_hakmem_used "$TMP/err"
echo PASS

# perl: a hash of 150k entries (arrays, strings, nested hashes) built, sorted and dropped, 4 times.
my %h; my @a;
for my $r (1..4) {
  %h = ();
  for my $i (1..150000) { $h{"key$i-$r"} = [$i, "v" x ($i % 50), {x => $i}]; }
  @a = sort { $a cmp $b } keys %h;
  my $s = 0; for my $k (@a) { $s += length($k) + $h{$k}[0]; }
  print "$s\n";
}

# python (PYTHONMALLOC=malloc: every object through malloc): a 200k-entry dict of lists, tuples
# and strings built, sorted and dropped, 6 times.
s = 0
for r in range(6):
    d = {}
    for i in range(200000):
        d[str(i) + "k"] = [i, (i, r), "v" * (i % 40)]
    l = sorted(d.items(), key=lambda kv: kv[1][0] % 977)
    s += sum(len(k) for k, v in l[:1000])
    del d, l
print(s)

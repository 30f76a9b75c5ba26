#!/usr/bin/env bash
# python3 under LD_PRELOAD=libhakmem.so: millions of objects created and dropped, every Python
# allocation through malloc (PYTHONMALLOC=malloc), results checked; from inside, ctypes finds
# hakmem's API in the process and hakmem knows the blocks behind Python objects.
source tests/link/preload_lib.sh

cat >"$TMP/work.py" <<'PY'
import ctypes, hashlib, sys

lib = ctypes.CDLL(None)
lib.hak_profile.restype = ctypes.c_char_p
lib.hak_malloc_usable_size.restype = ctypes.c_size_t
lib.hak_malloc_usable_size.argtypes = [ctypes.c_void_p]
print("profile", lib.hak_profile().decode())

# A bytes object is one malloc'd block whose address is id(): hakmem must know it.
for n in (10, 1000, 100000, 3 << 20):
    b = b"x" * n
    assert lib.hak_malloc_usable_size(id(b)) >= n, n
    del b

total = 0
for rnd in range(6):
    d = {i: str(i) * 3 for i in range(150000)}
    l = [(i, [i] * (i % 5), str(i)) for i in range(150000)]
    s = set(range(rnd, 150000, 3))
    total += len(d) + len(l) + len(s) + sum(len(v) for v in d.values())
    del d, l, s
print("total", total)

# Strings grown and cut (realloc), a sort of many small objects.
parts = []
for i in range(200000):
    parts.append(("%07d" % (i * 7919 % 200000)) + "-" * (i % 13))
parts.sort()
h = hashlib.sha256("".join(parts).encode()).hexdigest()
print("sha", h[:16])
print("ok")
PY

hakmem_run "$TMP/out" "$TMP/err" env PYTHONMALLOC=malloc /usr/bin/python3 "$TMP/work.py"
expect_eq "profile seen from python" "$(sed -n 's/^profile //p' "$TMP/out")" "$PROFILE"
expect_eq "object count" "$(sed -n 's/^total //p' "$TMP/out")" "$(/usr/bin/python3 -c '
t = 0
for rnd in range(6):
    t += 150000 + 150000 + len(range(rnd, 150000, 3)) + sum(len(str(i) * 3) for i in range(150000))
print(t)')"
expect_eq "sha of the sorted strings" "$(sed -n 's/^sha //p' "$TMP/out")" "$(env -u LD_PRELOAD /usr/bin/python3 -c '
import hashlib
p = sorted(("%07d" % (i * 7919 % 200000)) + "-" * (i % 13) for i in range(200000))
print(hashlib.sha256("".join(p).encode()).hexdigest()[:16])')"
grep -qx ok "$TMP/out" || fail "python did not finish"
expect_hakmem_used "$TMP/err"
echo PASS

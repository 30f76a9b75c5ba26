#!/usr/bin/env bash
# sqlite3 under LD_PRELOAD=libhakmem.so: 100k rows inserted one statement each (parsing allocates),
# indexed and queried; counts and sums checked against their closed forms.
source tests/link/preload_lib.sh

N=100000
{
  echo "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, s TEXT);"
  echo "BEGIN;"
  seq 1 "$N" | awk '{ printf "INSERT INTO t VALUES(%d, %d, '\''row-%d'\'');\n", $1, $1 * 3, $1 }'
  echo "COMMIT;"
  echo "CREATE INDEX t_s ON t(s);"
  echo "SELECT count(*), sum(v), sum(length(s)) FROM t;"
  echo "SELECT count(*) FROM t WHERE s LIKE 'row-9%';"
  echo "SELECT v FROM t WHERE s = 'row-77777';"
  echo "SELECT group_concat(id) FROM (SELECT id FROM t ORDER BY s DESC LIMIT 3);"
  echo "DELETE FROM t WHERE id % 2 = 0;"
  echo "VACUUM;"
  echo "SELECT count(*), sum(v) FROM t;"
} >"$TMP/script.sql"

rm -f "$TMP/t.db"
hakmem_run "$TMP/out" "$TMP/err" /usr/bin/sqlite3 "$TMP/t.db" <"$TMP/script.sql"
# sum(v) = 3 N (N + 1) / 2; lengths: "row-" plus the digits of 1..100000; names starting with 9:
# 1 + 10 + 100 + 1000 + 10000; the odd ids: 50000 of them, v summing to 3 * 50000^2.
expect_eq "all rows" "$(sed -n 1p "$TMP/out")" "100000|15000150000|888895"
expect_eq "LIKE" "$(sed -n 2p "$TMP/out")" "11111"
expect_eq "lookup" "$(sed -n 3p "$TMP/out")" "233331"
expect_eq "ORDER BY text" "$(sed -n 4p "$TMP/out")" "99999,99998,99997"
expect_eq "after delete" "$(sed -n 5p "$TMP/out")" "50000|7500000000"
expect_hakmem_used "$TMP/err"
echo PASS

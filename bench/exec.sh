# The cost of an exec under attls: /bin/true run 200 times per round
# (bench/execcost.c: fork, execve, wait4; the median wall time and the
# median max RSS of the child), without attls and under a policy with a
# server key ring whose one descriptor is for job X: as job true (no
# descriptor can match: nothing to do, no key read) and as job X
# (ATTLS_JOBNAME=X: the key read and proven, a context built). The
# figures over the plain exec are what every child process of a program
# under attls pays. BENCH_EXEC_BEFORE=/path/to/libattls.so adds the same
# two rows for another build of the library (before and after, side by
# side in one run).
# SPDX-License-Identifier: GPL-2.0-or-later

over() { # A B: A - B, two decimals
	awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f\n", a - b}'
}

exec_bench() {
	local r n=200 plain plain_kib ms kib name lib label
	local -a libs=("after|$LIB")
	cc -O2 -std=c11 -Wall -Wextra -Werror -o "$WORK/execcost" "$BENCH/execcost.c" || return 1
	policy "$WORK/exec.ini" <"$BENCH/exec.ini"
	[ -z "${BENCH_EXEC_BEFORE:-}" ] || libs=("before|$BENCH_EXEC_BEFORE" "${libs[@]}")
	for r in $(seq "$ROUNDS"); do
		echo "== exec, round $r"
		read -r plain plain_kib <<<"$("${CLI[@]}" "$WORK/execcost" $n /bin/true)" || return 1
		record exec "/bin/true, no attls" "ms" "$plain"
		record exec "/bin/true, no attls" "max RSS KiB" "$plain_kib"
		for spec in "${libs[@]}"; do
			IFS='|' read -r label lib <<<"$spec"
			[ ${#libs[@]} -gt 1 ] || label=
			for name in true X; do
				read -r ms kib <<<"$("${CLI[@]}" "$WORK/execcost" $n /bin/true \
					LD_PRELOAD="$lib" ATTLS_CONFIG="$WORK/exec.ini" \
					ATTLS_JOBNAME="$name")" || return 1
				if [ "$name" = X ]; then
					name="attls${label:+ ($label)}, job matches (key ring read)"
				else
					name="attls${label:+ ($label)}, job matches nothing"
				fi
				record exec "$name" "ms" "$ms"
				record exec "$name" "ms over no attls" "$(over "$ms" "$plain")"
				record exec "$name" "max RSS KiB" "$kib"
				record exec "$name" "KiB over no attls" "$((kib - plain_kib))"
			done
		done
	done
}

# exec_budget RESULTS: a table of each attls row's median cost over the
# plain exec, and whether it is within the budget (3 ms, 2048 KiB).
exec_budget() {
	python3 - "$1" <<'PY'
import collections, statistics, sys
vals = collections.OrderedDict()
for line in open(sys.argv[1]):
    g, s, m, v = line.rstrip("\n").split("\t")
    if g == "exec" and m in ("ms over no attls", "KiB over no attls"):
        vals.setdefault(s, {}).setdefault(m, []).append(float(v))
print("| scenario | ms over | KiB over | within 3 ms | within 2048 KiB |")
print("|---|---|---|---|---|")
for s, m in vals.items():
    ms = statistics.median(m["ms over no attls"])
    kib = statistics.median(m["KiB over no attls"])
    print(f"| {s} | {ms:.2f} | {kib:.0f} | {'yes' if ms <= 3 else 'no'} | {'yes' if kib <= 2048 else 'no'} |")
PY
}

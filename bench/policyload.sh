# The policy loader at scale: a program under attls that does nothing
# (/bin/true), its policy generated with 10,000 and 100,000 sections
# (bench/gen_policy.py), every key ring read and every context built as
# in any program; and attls check --no-keys (the loader alone). The ratio
# of the two sizes shows whether loading is linear (10 is linear).
# SPDX-License-Identifier: GPL-2.0-or-later

# Seconds a command takes, wall clock, to the millisecond.
secs_of() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; echo 0; return; }
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", (b - a) / 1e9}'
}

policyload_bench() {
	local n lib10 lib100 chk10 chk100
	for n in 10000 100000; do
		"$BENCH/gen_policy.py" "$n" "$PKI" >"$WORK/load$n.ini" || return 1
		"$ATTLS" check "$WORK/load$n.ini" >/dev/null || return 1
	done
	for r in $(seq "$ROUNDS"); do
		echo "== policy load, round $r"
		lib10=$(secs_of env ATTLS_CONFIG="$WORK/load10000.ini" LD_PRELOAD="$LIB" "${CLI[@]}" /bin/true)
		lib100=$(secs_of env ATTLS_CONFIG="$WORK/load100000.ini" LD_PRELOAD="$LIB" "${CLI[@]}" /bin/true)
		chk10=$(secs_of "${CLI[@]}" "$ATTLS" check --no-keys "$WORK/load10000.ini")
		chk100=$(secs_of "${CLI[@]}" "$ATTLS" check --no-keys "$WORK/load100000.ini")
		record "policy load" "program start, 10k sections" "s" "$lib10"
		record "policy load" "program start, 100k sections" "s" "$lib100"
		record "policy load" "program start, 100k sections" "ratio vs 10k" \
			"$(awk -v a="$lib100" -v b="$lib10" 'BEGIN {printf "%.1f\n", b > 0 ? a / b : 0}')"
		record "policy load" "attls check --no-keys, 10k sections" "s" "$chk10"
		record "policy load" "attls check --no-keys, 100k sections" "s" "$chk100"
		record "policy load" "attls check --no-keys, 100k sections" "ratio vs 10k" \
			"$(awk -v a="$chk100" -v b="$chk10" 'BEGIN {printf "%.1f\n", b > 0 ? a / b : 0}')"
	done
}

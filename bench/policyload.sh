# The policy loader at scale: a program under attls that does nothing
# (/bin/true), its policy generated with 10,000 and 100,000 sections
# (bench/gen_policy.py), every key ring read and every context built as
# in any program; and attls check --no-keys (the loader alone). The ratio
# of the two sizes shows whether loading is linear (10 is linear).
# SPDX-License-Identifier: GPL-2.0-or-later

# "WALL CPU": seconds a command takes, wall clock and CPU (user + system,
# its children included), to the millisecond. CPU is the steadier figure
# on a shared machine.
secs_of() {
	local TIMEFORMAT='%R %U %S' out
	out=$( { time "$@" >/dev/null 2>&1; } 2>&1) || { echo "failed: $*" >&2; echo "0 0"; return; }
	awk '{printf "%.3f %.3f\n", $1, $2 + $3}' <<<"$out"
}

ratio() { # A B: A / B, one decimal
	awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f\n", (b > 0) ? a / b : 0}'
}

policyload_bench() {
	local n r lib10 lib100 chk10 chk100 cpu10 cpu100 chkcpu10 chkcpu100
	for n in 10000 100000; do
		"$BENCH/gen_policy.py" "$n" "$PKI" >"$WORK/load$n.ini" || return 1
		"$ATTLS" check "$WORK/load$n.ini" >/dev/null || return 1
	done
	for r in $(seq "$ROUNDS"); do
		echo "== policy load, round $r"
		read -r lib10 cpu10 <<<"$(secs_of env ATTLS_CONFIG="$WORK/load10000.ini" LD_PRELOAD="$LIB" \
			"${CLI[@]}" /bin/true)"
		read -r lib100 cpu100 <<<"$(secs_of env ATTLS_CONFIG="$WORK/load100000.ini" \
			LD_PRELOAD="$LIB" "${CLI[@]}" /bin/true)"
		read -r chk10 chkcpu10 <<<"$(secs_of "${CLI[@]}" "$ATTLS" check --no-keys "$WORK/load10000.ini")"
		read -r chk100 chkcpu100 <<<"$(secs_of "${CLI[@]}" "$ATTLS" check --no-keys \
			"$WORK/load100000.ini")"
		record "policy load" "program start, 10k sections" "s" "$lib10"
		record "policy load" "program start, 10k sections" "CPU s" "$cpu10"
		record "policy load" "program start, 100k sections" "s" "$lib100"
		record "policy load" "program start, 100k sections" "CPU s" "$cpu100"
		record "policy load" "program start, 100k sections" "CPU ratio vs 10k" \
			"$(ratio "$cpu100" "$cpu10")"
		record "policy load" "attls check --no-keys, 10k sections" "s" "$chk10"
		record "policy load" "attls check --no-keys, 100k sections" "s" "$chk100"
		record "policy load" "attls check --no-keys, 100k sections" "CPU ratio vs 10k" \
			"$(ratio "$chkcpu100" "$chkcpu10")"
	done
}

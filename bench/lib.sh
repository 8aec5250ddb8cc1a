# The benchmark's frame: scenarios run interleaved (A B C A B C ...), each
# figure the median of the rounds, with its spread, written as markdown.
# Servers run on core 0 and clients on core 1 (taskset) where there are
# two cores or more. Sourced by bench/run after tests/integration/lib.sh.
# SPDX-License-Identifier: GPL-2.0-or-later

ROUNDS=${BENCH_ROUNDS:-3}
if [ -n "${BENCH_QUICK:-}" ]; then
	SECS=2
else
	SECS=5
fi
if [ "$(nproc)" -ge 2 ]; then
	SRV=(taskset -c 0)
	CLI=(taskset -c 1)
	PINNING="servers on core 0, clients on core 1 (taskset)"
else
	SRV=()
	CLI=()
	PINNING="one core: no pinning"
fi
RESULTS=$WORK/results.tsv # group, scenario, metric, value, per round
: >"$RESULTS"

record() { # GROUP SCENARIO METRIC VALUE
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"
	printf '  %-10s %-34s %-24s %s\n' "$1" "$2" "$3" "$4"
}

# wrk over http(s) for SECS seconds: prints "req/s MiB/s".
wrk_run() { # URL CONNECTIONS
	local out
	out=$(timeout $((SECS + 20)) "${CLI[@]}" wrk -t1 -c"$2" -d"${SECS}s" "$1" 2>&1)
	if grep -qE 'Socket errors|Non-2xx' <<<"$out" || ! grep -q 'Requests/sec' <<<"$out"; then
		echo "wrk failed on $1: $out" >&2
		echo "0 0"
		return
	fi
	awk '/Requests\/sec/ {r = $2}
	     /Transfer\/sec/ {v = $2; u = substr(v, length(v) - 1); v = v + 0;
		m = (u == "GB") ? v * 1024 : (u == "MB") ? v : (u == "KB") ? v / 1024 : v / 1048576}
	     END {printf "%.0f %.1f\n", r, m}' <<<"$out"
}

# New TLS connections per second with openssl s_time: full or resumed.
s_time_run() { # PORT new|reuse
	local out
	out=$(timeout $((SECS + 20)) "${CLI[@]}" openssl s_time -connect "127.0.0.1:$1" -"$2" \
		-time "$SECS" -www /f1024 2>&1)
	awk -v s="$SECS" '/connections in [0-9.]+s;/ {n = $1} END {printf "%.0f\n", n / s}' <<<"$out"
}

# The markdown report: per group, median and min-max per scenario and
# metric, and the ratio to the group's first scenario (its baseline).
report() { # FILE
	python3 - "$RESULTS" "$1" "$PINNING" "$ROUNDS" <<'PY'
import collections, statistics, sys
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    g, s, m, v = line.rstrip("\n").split("\t")
    rows.setdefault((g, m), collections.OrderedDict()).setdefault(s, []).append(float(v))
out = open(sys.argv[2], "w")
out.write(f"Rounds: {sys.argv[4]}, interleaved; figures are medians, spread is min-max. "
          f"Pinning: {sys.argv[3]}.\n\n")
out.write("| group | metric | scenario | median | min-max | ratio |\n|---|---|---|---|---|---|\n")
for (g, m), scen in rows.items():
    base = None
    for s, vals in scen.items():
        med = statistics.median(vals)
        if base is None:
            base = med
        ratio = f"{med / base:.2f}x" if base else "-"
        out.write(f"| {g} | {m} | {s} | {med:,.1f} | {min(vals):,.1f}-{max(vals):,.1f} | {ratio} |\n")
PY
}

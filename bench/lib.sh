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

# wrk over http(s) for SECS seconds: prints "req/s MiB/s requests".
wrk_run() { # URL CONNECTIONS
	local out
	out=$(timeout $((SECS + 20)) "${CLI[@]}" wrk -t1 -c"$2" -d"${SECS}s" "$1" 2>&1)
	if grep -qE 'Socket errors|Non-2xx' <<<"$out" || ! grep -q 'Requests/sec' <<<"$out"; then
		echo "wrk failed on $1: $out" >&2
		echo "0 0 0"
		return
	fi
	awk '/Requests\/sec/ {r = $2}
	     /Transfer\/sec/ {v = $2; u = substr(v, length(v) - 1); v = v + 0;
		m = (u == "GB") ? v * 1024 : (u == "MB") ? v : (u == "KB") ? v / 1024 : v / 1048576}
	     / requests in / {n = $1}
	     END {printf "%.0f %.1f %d\n", r, m, n}' <<<"$out"
}

# The handshake load (bench/hsload.c): HS_CONNS concurrent connections
# doing full handshakes; BENCH_HS_GROUPS sets the client's key exchange
# groups (an OpenSSL list such as P-256; default OpenSSL's, X25519 first).
HS_CONNS=${BENCH_HS_CONNS:-64}
HS_GROUPS=${BENCH_HS_GROUPS:-}
HSLOAD=$WORK/hsload
CLK_TCK=$(getconf CLK_TCK)

# CPU time, in clock ticks, that processes and their children (nginx's
# workers) have used: utime + stime from /proc/PID/stat.
server_ticks() { # PID...
	local p
	for p in "$@"; do
		echo "$p"
		pgrep -P "$p"
	done | while read -r p; do
		sed 's/.*) //' "/proc/$p/stat" 2>/dev/null
	done | awk '{t += $12 + $13} END {print t + 0}'
}

# Microseconds of CPU per unit between two server_ticks readings.
cpu_per() { # TICKS_BEFORE TICKS_AFTER COUNT
	awk -v a="$1" -v b="$2" -v n="$3" -v hz="$CLK_TCK" \
		'BEGIN {if (n > 0) printf "%.1f\n", (b - a) * 1e6 / hz / n; else print 0}'
}

# Full handshakes per second with hsload, and the server's CPU per
# handshake: prints "handshakes/s us-per-handshake client-cpu-%".
hs_run() { # PORT http|redis [SERVER_PID]
	local out rate n errs grp ccpu t0 t1
	t0=$(server_ticks ${3:-})
	out=$(timeout $((SECS + 30)) "${CLI[@]}" "$HSLOAD" -c "$HS_CONNS" -t "$SECS" \
		${HS_GROUPS:+-g "$HS_GROUPS"} "$2" "$1")
	t1=$(server_ticks ${3:-})
	read -r rate n errs grp ccpu <<<"$out"
	if [ -z "$ccpu" ]; then
		echo "hsload failed on port $1: $out" >&2
		echo "0 0 0"
		return
	fi
	[ "$errs" = 0 ] || echo "hsload: $errs of $((n + errs)) connections failed on port $1" >&2
	echo "$grp" >"$WORK/hs.group"
	echo "$rate $(cpu_per "$t0" "$t1" "$n") $ccpu"
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

# The performance goals, each as a ratio of attls's median to the median of
# the program's own TLS (the group's first scenario).
GOALS = [
    ("memory per idle TLS connection, redis, 1,000 conns", "memory", "KiB per idle conn, 1000", "<=", 0.5),
    ("memory per idle TLS connection, redis, 10,000 conns", "memory", "KiB per idle conn, 10000", "<=", 0.5),
    ("server CPU per full handshake, nginx", "server CPU, nginx", "us per full handshake", "<=", 0.75),
    ("... at no lower full handshake rate, nginx", "handshakes, nginx", "full/s", ">=", 1.0),
    ("server CPU per full handshake, redis", "server CPU, redis", "us per full handshake", "<=", 0.75),
    ("... at no lower full handshake rate, redis", "handshakes, redis", "full/s", ">=", 1.0),
    ("requests, nginx 1 KiB", "nginx", "1 KiB req/s", ">=", 1.05),
    ("requests, redis SET", "redis", "SET req/s", ">=", 1.05),
    ("requests, redis GET", "redis", "GET req/s", ">=", 1.05),
    ("bulk, nginx 64 KiB", "nginx", "64 KiB MiB/s", ">=", 1.5),
    ("bulk, nginx 4 MiB", "nginx", "4 MiB MiB/s", ">=", 1.5),
]
lines, met, total = [], 0, 0
for label, g, m, op, goal in GOALS:
    scen = rows.get((g, m))
    if not scen or "attls" not in scen or len(scen) < 2:
        lines.append(f"| {label} | {op} {goal:.2f}x | not measured | - |")
        continue
    base = statistics.median(next(iter(scen.values())))
    med = statistics.median(scen["attls"])
    if not base:
        lines.append(f"| {label} | {op} {goal:.2f}x | no baseline figure | - |")
        continue
    r = med / base
    ok = r <= goal if op == "<=" else r >= goal
    met += ok
    total += 1
    lines.append(f"| {label} | {op} {goal:.2f}x | {r:.2f}x ({med:,.1f} against {base:,.1f}) "
                 f"| {'met' if ok else 'NOT met'} |")
if total:
    out.write(f"Performance goals, attls against the program's own TLS in this run: {met} of "
              f"{total} measured met. The ratio is attls's median over the own TLS's "
              "median (rows below).\n\n")
    out.write("| goal | target | measured | |\n|---|---|---|---|\n")
    out.write("\n".join(lines) + "\n\n")
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

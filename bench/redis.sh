# redis: plain, its own TLS (tls-port), stunnel in front, and plain redis
# under attls with device=cpu and device=software.
# SPDX-License-Identifier: GPL-2.0-or-later

# redis-benchmark, -n SECS * 40000 each of SET and GET: prints "set/s get/s".
rb_run() { # PORT tls|plain
	local tls=() n=$((SECS * 40000)) out
	[ "$2" = tls ] && tls=(--tls --cacert "$PKI/ca.pem")
	out=$(timeout $((SECS * 10 + 30)) "${CLI[@]}" redis-benchmark "${tls[@]}" -h 127.0.0.1 \
		-p "$1" -t set,get -n "$n" -c 50 -q 2>&1 | tr '\r' '\n')
	awk '/^SET: [0-9]/ {s = $2} /^GET: [0-9]/ {g = $2} END {printf "%.0f %.0f\n", s, g}' <<<"$out"
}

redis_bench() {
	local RP RN RS RA RW name port mode spec set get pid t0 t1 hs us ccpu RN_PID RA_PID
	RP=$(free_port) RN=$(free_port) RS=$(free_port) RA=$(free_port) RW=$(free_port)
	attls_policy "$WORK/rcpu.ini" cpu "$RA"
	attls_policy "$WORK/rsw.ini" software "$RW"
	redis_start plain "$RP" || return 1
	redis_start native "$RN" tls || return 1
	RN_PID=$BGPID
	stunnel_start redis "$RS" "$RP" || return 1
	redis_start attls "$RA" "$LIB" "$WORK/rcpu.ini" || return 1
	RA_PID=$BGPID
	redis_start attls_sw "$RW" "$LIB" "$WORK/rsw.ini" || return 1
	for r in $(seq "$ROUNDS"); do
		echo "== redis, round $r"
		for spec in "redis TLS (OpenSSL)|$RN|tls|$RN_PID" "attls|$RA|tls|$RA_PID" \
			"stunnel|$RS|tls|" "plain|$RP|plain|" "attls, device=software|$RW|tls|"; do
			IFS='|' read -r name port mode pid <<<"$spec"
			t0=$(server_ticks $pid)
			read -r set get <<<"$(rb_run "$port" "$mode")"
			t1=$(server_ticks $pid)
			record redis "$name" "SET req/s" "$set"
			record redis "$name" "GET req/s" "$get"
			# Both tests complete their -n requests, or report nothing.
			[ -z "$pid" ] || [ "${set:-0}" = 0 ] || [ "${get:-0}" = 0 ] ||
				record "server CPU, redis" "$name" "us per SET/GET request" \
					"$(cpu_per "$t0" "$t1" $((2 * SECS * 40000)))"
		done
		for spec in "redis TLS (OpenSSL)|$RN|$RN_PID" "attls|$RA|$RA_PID" "stunnel|$RS|"; do
			IFS='|' read -r name port pid <<<"$spec"
			read -r hs us ccpu <<<"$(hs_run "$port" redis "$pid")"
			record "handshakes, redis" "$name" "full/s" "$hs"
			record "hsload client, redis" "$name" "CPU % of its core" "$ccpu"
			[ -z "$pid" ] || record "server CPU, redis" "$name" "us per full handshake" "$us"
			record "handshakes, redis" "$name" "resumed/s" "$(s_time_redis "$port" reuse)"
		done
	done
}

# s_time against redis: the handshake is what counts; redis answers the
# GET line with an error, which s_time reads as the page.
s_time_redis() { # PORT new|reuse
	local out
	out=$(timeout $((SECS + 20)) "${CLI[@]}" openssl s_time -connect "127.0.0.1:$1" -"$2" \
		-time "$SECS" 2>&1)
	awk -v s="$SECS" '/connections in [0-9.]+s;/ {n = $1} END {printf "%.0f\n", n / s}' <<<"$out"
}

# Real event-loop servers under attls, and the checks their native TLS
# clients make. Sourced after lib.sh by event_loops.sh and faults.sh, which
# set PRELOAD to what runs under the server (attls, perhaps with more).
# SPDX-License-Identifier: GPL-2.0-or-later

PRELOAD=${PRELOAD:-$LIB}

# server_policy FILE PORT...: each port inbound, TLS with the test server key.
server_policy() {
	local f=$1 p
	shift
	{
		printf '[global]\ntrace = error-stderr, error\nhandshake_timeout = 3s\n'
		printf '[keyring srv]\ncert = @PKI@/server.pem\nkey = @PKI@/server.key\nca = @PKI@/ca.pem\n'
		for p in "$@"; do
			printf '[traffic in_%s]\ndirection = inbound\nlocal_port = %s\nkeyring = srv\n' "$p" "$p"
		done
	} | policy "$f"
}

# in_out_policy FILE IN_PORTS OUT_PORT [GLOBAL_LINE]: IN_PORTS inbound, TLS
# server; OUT_PORT outbound, TLS client to "localhost"; one key ring. The
# optional [global] line is line 3.
in_out_policy() {
	policy "$1" <<EOF2
[global]
trace = error-stderr, error
${4:-}
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
ca = @PKI@/ca.pem
[traffic in]
direction = inbound
local_port = $2
keyring = k
[traffic out]
direction = outbound
remote_port = $3
keyring = k
server_name = localhost
EOF2
}

# Files of 1 KiB to 16 MiB for the web server, made once.
make_files() {
	[ -d "$WORK/www" ] && return 0
	mkdir -p "$WORK/www"
	chmod 755 "$WORK" "$WORK/www"
	local s
	for s in 1024 65536 1048576 16777216; do
		head -c "$s" /dev/urandom >"$WORK/www/f$s"
	done
}

# nginx_conf DIR PORT WORKERS [LISTEN OPTIONS]: an nginx.conf in DIR that
# serves $WORK/www as Debian ships nginx (sendfile, tcp_nopush), keep-alive
# without a request limit; the fault preload's variables reach the workers.
nginx_conf() {
	mkdir -p "$1/tmp"
	cat >"$1/nginx.conf" <<EOF2
worker_processes $3;
daemon off;
env FAULT_LOG;
env FAULT_SEED;
env FAULT_RATE;
pid $1/nginx.pid;
error_log $1/error.log notice;
events { worker_connections 20000; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	client_body_temp_path $1/tmp;
	proxy_temp_path $1/tmp;
	fastcgi_temp_path $1/tmp;
	uwsgi_temp_path $1/tmp;
	scgi_temp_path $1/tmp;
	server {
		listen 127.0.0.1:$2${4:-};
		root $WORK/www;
	}
}
EOF2
}

# start_nginx POLICY PORT WORKERS: plain nginx under attls.
start_nginx() {
	local d=$WORK/nginx.$2
	nginx_conf "$d" "$2" "$3"
	bg env ATTLS_CONFIG="$1" LD_PRELOAD="$PRELOAD" nginx -e "$d/error.log" -p "$d" \
		-c "$d/nginx.conf" >>"$d/stderr.log" 2>&1
	NGINX_PID=$BGPID
	wait_port "$2"
}

# check_nginx PORT WHAT: curl fetches every file and wrk runs over https.
check_nginx() {
	local port=$1 what=$2 s ok=true out
	for s in 1024 65536 1048576 16777216; do
		timeout 30 curl -sS --cacert "$PKI/ca.pem" -o "$WORK/got" "https://localhost:$port/f$s"
		if ! [ "$(sha256sum <"$WORK/got")" = "$(sha256sum <"$WORK/www/f$s")" ]; then
			say "f$s differs"
			ok=false
		fi
	done
	check "$what: curl fetched 1 KiB, 64 KiB, 1 MiB and 16 MiB intact (sha256)" $ok
	# Several files on one keep-alive connection, in order.
	timeout 30 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$port/f1024" \
		"https://localhost:$port/f1048576" "https://localhost:$port/f65536" >"$WORK/seq"
	check "$what: three files on one keep-alive connection arrive in order" \
		cmp -s "$WORK/seq" <(cat "$WORK/www/f1024" "$WORK/www/f1048576" "$WORK/www/f65536")
	out=$(timeout 30 wrk -t2 -c32 -d2s "https://localhost:$port/f1024" 2>&1)
	say "$what: wrk 1 KiB: $(grep -E 'Requests/sec' <<<"$out" | tr -s ' ')"
	check "$what: wrk over https: requests answered, no errors, no non-2xx" \
		bash -c "grep -q 'Requests/sec' <<<'$out' && ! grep -qE 'Socket errors|Non-2xx' <<<'$out' && \
			awk '/requests in/ {exit !(\$1 > 100)}' <<<'$out'"
	out=$(timeout 30 wrk -t1 -c4 -d2s "https://localhost:$port/f1048576" 2>&1)
	say "$what: wrk 1 MiB: $(grep -E 'Transfer/sec' <<<"$out" | tr -s ' ')"
	check "$what: wrk 1 MiB files: no errors" \
		bash -c "grep -q 'Requests/sec' <<<'$out' && ! grep -qE 'Socket errors|Non-2xx' <<<'$out'"
}

# start_redis POLICY PORT: redis-server on its plain port, under attls.
start_redis() {
	bg env ATTLS_CONFIG="$1" LD_PRELOAD="$PRELOAD" redis-server --port "$2" --bind 127.0.0.1 \
		--save '' --appendonly no --dir "$WORK" --logfile "$WORK/redis.$2.log"
	REDIS_PID=$BGPID
	wait_port "$2"
}

# check_redis PORT WHAT: values of 1 B to 1 MiB, and redis-benchmark.
check_redis() {
	local port=$1 what=$2 s ok=true out
	local cli=(timeout 30 redis-cli --tls --cacert "$PKI/ca.pem" -h 127.0.0.1 -p "$port")
	check "$what: redis-cli --tls PING" [ "$("${cli[@]}" ping)" = PONG ]
	for s in 1 100 16384 65536 1048576; do
		head -c "$s" /dev/urandom | base64 -w0 | head -c "$s" >"$WORK/v"
		"${cli[@]}" -x set "k$s" <"$WORK/v" >/dev/null
		"${cli[@]}" --raw get "k$s" | head -c "$s" >"$WORK/vgot"
		cmp -s "$WORK/v" "$WORK/vgot" || { say "value of $s bytes differs"; ok=false; }
	done
	check "$what: values of 1 B, 100 B, 16 KiB, 64 KiB and 1 MiB come back intact" $ok
	out=$(timeout 60 redis-benchmark --tls --cacert "$PKI/ca.pem" -h 127.0.0.1 -p "$port" \
		-t set,get -n 20000 -c 20 -q 2>&1 | tr '\r' '\n' | grep -E '^(SET|GET): [0-9]')
	say "$what: redis-benchmark: $(tr '\n' ' ' <<<"$out")"
	check "$what: redis-benchmark --tls: every SET and GET answered" \
		bash -c "grep -q '^SET: [0-9]' <<<'$out' && grep -q '^GET: [0-9]' <<<'$out'"
	"${cli[@]}" set counter 0 >/dev/null
	timeout 60 redis-benchmark --tls --cacert "$PKI/ca.pem" -h 127.0.0.1 -p "$port" \
		-n 5000 -c 10 -q incr counter >/dev/null 2>&1
	check "$what: 5000 INCR from 10 clients: counter is 5000" \
		[ "$("${cli[@]}" get counter)" = 5000 ]
}

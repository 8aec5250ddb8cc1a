#!/usr/bin/env bash
# Real programs, each unmodified from Debian, under attls in the direction
# named, content checked by SHA-256; each also run once without attls (its
# own TLS, or clear text) so that a failure is known to be attls's:
#  1. haproxy (mode tcp), inbound: its frontend port TLS, role server, in
#     front of python3 -m http.server; curl --cacert fetches 1 KiB and 16 MiB.
#  2. haproxy (mode tcp), outbound: a plain frontend, the backend port TLS,
#     role client, to openssl s_server -www; 100 sequential requests and 8
#     parallel loops of 10, with client-side session resumption.
#  3. a thread-per-connection python3 server on blocking sockets, one thread
#     reading and one writing 8 MiB at once, against a python3 ssl client
#     that does the same.
#  4. rabbitmq-server, a throw-away node, its AMQP port TLS (epmd and the
#     distribution port clear text), with a python3-pika TLS client:
#     messages of 1 B to 16 MiB.
source "$(dirname "$0")/lib.sh"
PY=$TOP/tests/integration/py
# Debian's python3 (python3-pika is Debian's), whatever else is first in PATH.
PY3=/usr/bin/python3
make_pki

# server_ini FILE PORT: PORT inbound, TLS server with the test key.
server_ini() {
	policy "$1" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 5s
[keyring srv]
cert = @PKI@/server.pem
key = @PKI@/server.key
ca = @PKI@/ca.pem
[traffic in_$2]
direction = inbound
local_port = $2
role = server
keyring = srv
EOF2
}

# sums_equal A B: the two files have the same SHA-256.
sums_equal() {
	[ -f "$1" ] && [ -f "$2" ] && [ "$(sha256sum <"$1")" = "$(sha256sum <"$2")" ]
}

# haproxy_cfg FILE BIND SERVER: a minimal haproxy.cfg, mode tcp, one
# frontend on BIND, one backend server SERVER (each with its options). No
# retries: haproxy would otherwise connect again when a backend handshake
# fails (under attls a refused handshake is a failed connect) and hide it.
haproxy_cfg() {
	cat >"$1" <<EOF2
global
	maxconn 512
defaults
	mode tcp
	retries 0
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend fe
	bind $2
	default_backend be
backend be
	server s1 $3
EOF2
}

# start_haproxy CFG PORT LOG [POLICY]: haproxy -db in the background, under
# attls when POLICY is given; waits until it listens on PORT.
start_haproxy() {
	if [ -n "${4:-}" ]; then
		bg env ATTLS_CONFIG="$4" LD_PRELOAD="$LIB" haproxy -db -f "$1" >>"$3" 2>&1
	else
		bg haproxy -db -f "$1" >>"$3" 2>&1
	fi
	HAPROXY_PID=$BGPID
	wait_port "$2"
}

########################################################################
# 1. haproxy inbound.
mkdir -p "$WORK/www"
head -c 16777216 /dev/urandom >"$WORK/www/f16m"
head -c 1024 /dev/urandom >"$WORK/www/f1k"
WEB=$(free_port)
(cd "$WORK/www" && exec "$PY3" -m http.server --bind 127.0.0.1 "$WEB" >>"$WORK/web.log" 2>&1) &
PIDS+=("$!")
wait_port "$WEB" || exit 1

# fetch_both PORT WHAT: curl --cacert fetches both files through haproxy,
# the 16 MiB one 5 times (its end, once the backend has closed, is where a
# half-close can cut it short).
fetch_both() {
	local f ok=true
	for f in f1k f16m f16m f16m f16m f16m; do
		rm -f "$WORK/got.$f"
		if ! timeout 30 curl -sS --cacert "$PKI/ca.pem" -o "$WORK/got.$f" \
			"https://localhost:$1/$f" 2>>"$WORK/curl1.err"; then
			say "$2: curl $f failed: $(tail -1 "$WORK/curl1.err")"
		fi
		sums_equal "$WORK/www/$f" "$WORK/got.$f" || { say "$2: $f differs ($(stat -c %s "$WORK/got.$f" 2>/dev/null || echo 0) bytes)"; ok=false; }
	done
	$ok
}

cat "$PKI/server.pem" "$PKI/server.key" >"$WORK/haproxy.pem"
chmod 600 "$WORK/haproxy.pem"
H1=$(free_port)
haproxy_cfg "$WORK/h1own.cfg" "127.0.0.1:$H1 ssl crt $WORK/haproxy.pem" "127.0.0.1:$WEB"
start_haproxy "$WORK/h1own.cfg" "$H1" "$WORK/h1own.log" || exit 1
check "1 control: haproxy's own TLS, inbound: curl fetched 1 KiB and 5 times 16 MiB intact (sha256)" \
	fetch_both "$H1" "haproxy's own TLS"
stop "$HAPROXY_PID"

H1=$(free_port)
server_ini "$WORK/h1.ini" "$H1"
haproxy_cfg "$WORK/h1.cfg" "127.0.0.1:$H1" "127.0.0.1:$WEB"
start_haproxy "$WORK/h1.cfg" "$H1" "$WORK/h1.log" "$WORK/h1.ini" || exit 1
check "1: haproxy under attls, inbound TLS: curl fetched 1 KiB and 5 times 16 MiB intact (sha256)" \
	fetch_both "$H1" "haproxy under attls"
stop "$HAPROXY_PID"
grep -q ATTLS "$WORK/h1.log" && say "haproxy's stderr: $(grep ATTLS "$WORK/h1.log" | head -3)"

########################################################################
# 2. haproxy outbound, many short connections, client sessions resumed.
S=$(free_port)
# Not -quiet: s_server then says why it refused a handshake.
bg openssl s_server -accept "$S" -cert "$PKI/server.pem" -key "$PKI/server.key" -www \
	>"$WORK/s_server.log" 2>&1
wait_port "$S" || exit 1

# one_request PORT OUT: one curl http:// through haproxy; succeeds when
# s_server's page came back; writes "New" or "Reused" to stdout.
one_request() {
	if timeout 15 curl -sS -m 10 -o "$2" "http://127.0.0.1:$1/" 2>>"$2.err" &&
		grep -q "Ciphers supported in s_server" "$2"; then
		grep -oE '^(New|Reused), TLSv1\.[23]' "$2" | head -1 | cut -d, -f1
	else
		echo FAIL
	fi
}

# many PORT WHAT: 100 sequential requests, then 8 parallel loops of 10;
# prints the counts; succeeds when none failed.
many() {
	local i j out=$WORK/many.$1 loops=() before
	before=$(wc -l <"$WORK/s_server.log")
	: >"$out.seq"
	for ((i = 0; i < 100; i++)); do one_request "$1" "$out.r" >>"$out.seq"; done
	for ((j = 0; j < 8; j++)); do
		(for ((i = 0; i < 10; i++)); do one_request "$1" "$out.r$j"; done >"$out.par$j") &
		loops+=("$!")
	done
	wait "${loops[@]}"
	cat "$out".par* >"$out.par"
	local sf sr pf pr
	sf=$(grep -c FAIL "$out.seq") sr=$(grep -c Reused "$out.seq")
	pf=$(grep -c FAIL "$out.par") pr=$(grep -c Reused "$out.par")
	say "$2: sequential: $(wc -l <"$out.seq") requests, $sf failed, $sr resumed;" \
		"parallel: $(wc -l <"$out.par") requests, $pf failed, $pr resumed"
	cat "$out".r*.err 2>/dev/null | sort | uniq -c | sort -rn | head -3 | while read -r l; do say "  curl: $l"; done
	tail -n +$((before + 1)) "$WORK/s_server.log" | grep -i error | sed -E 's/^[0-9A-F]+:error:/error:/' |
		sort | uniq -c | sort -rn | head -3 | while read -r l; do say "  s_server: $l"; done
	[ "$sf" -eq 0 ] && [ "$pf" -eq 0 ] && [ "$(wc -l <"$out.seq")" -eq 100 ] && [ "$(wc -l <"$out.par")" -eq 80 ]
}

H2=$(free_port)
haproxy_cfg "$WORK/h2own.cfg" "127.0.0.1:$H2" \
	"127.0.0.1:$S ssl verify required ca-file $PKI/ca.pem sni str(localhost) verifyhost localhost"
start_haproxy "$WORK/h2own.cfg" "$H2" "$WORK/h2own.log" || exit 1
check "2 control: haproxy's own TLS to s_server: 180 short connections, none failed" \
	many "$H2" "haproxy's own TLS"
stop "$HAPROXY_PID"

H2=$(free_port)
policy "$WORK/h2.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 5s
[keyring partner]
ca = @PKI@/ca.pem
[traffic backend]
direction = outbound
remote_port = $S
role = client
server_name = localhost
keyring = partner
EOF2
haproxy_cfg "$WORK/h2.cfg" "127.0.0.1:$H2" "127.0.0.1:$S"
start_haproxy "$WORK/h2.cfg" "$H2" "$WORK/h2.log" "$WORK/h2.ini" || exit 1
check "2: haproxy under attls, outbound TLS to s_server: 180 short connections, none failed" \
	many "$H2" "haproxy under attls"
stop "$HAPROXY_PID"
grep ATTLS "$WORK/h2.log" | sed -E 's/conn=[^ ]+ //' | sort | uniq -c | sort -rn | head -3 |
	while read -r l; do say "  haproxy's stderr: $l"; done

########################################################################
# 3. Thread per connection, blocking sockets, 8 MiB each way at once.
SIZE=8388608
head -c $SIZE /dev/urandom >"$WORK/down"
head -c $SIZE /dev/urandom >"$WORK/up"

# duplex PORT TAG WHAT [CLIENT OPTIONS]: 5 connections one after the other;
# on each the client sends "up" and receives "down" at once; both
# directions compared by SHA-256.
duplex() {
	local port=$1 tag=$2 what=$3 out i r ok=0
	shift 3
	for ((r = 1; r <= 5; r++)); do
		rm -f "$WORK/got.$tag"
		out=$(timeout 40 "$PY3" "$PY/duplex_client.py" "$port" "$WORK/up" "$WORK/got.$tag" $SIZE "$@" 2>&1 | tail -1)
		for ((i = 0; i < 50; i++)); do
			[ "$(stat -c %s "$WORK/recv.$tag.$r" 2>/dev/null)" = $SIZE ] && break
			sleep 0.1
		done
		if sums_equal "$WORK/up" "$WORK/recv.$tag.$r" && sums_equal "$WORK/down" "$WORK/got.$tag"; then
			ok=$((ok + 1))
		else
			say "$what: connection $r: client: $out; the server got $(stat -c %s "$WORK/recv.$tag.$r" 2>/dev/null || echo 0) bytes"
		fi
	done
	say "$what: $ok of 5 connections intact both ways; the last: $out"
	[ $ok -eq 5 ]
}

D=$(free_port)
bg "$PY3" "$PY/duplex_server.py" "$D" "$WORK/down" "$WORK/recv.plain" $SIZE >>"$WORK/dsrv.log" 2>&1
wait_port "$D" || exit 1
check "3 control: clear text, no attls: 8 MiB each way at once, 5 times, intact (sha256)" duplex "$D" plain "clear text"
stop "$BGPID"
D=$(free_port)
bg "$PY3" "$PY/duplex_server.py" "$D" "$WORK/down" "$WORK/recv.own" $SIZE --tls "$PKI/server.pem" \
	"$PKI/server.key" >>"$WORK/dsrv.log" 2>&1
wait_port "$D" || exit 1
check "3 control: the server's own TLS (python3 ssl): 8 MiB each way at once, 5 times, intact (sha256)" \
	duplex "$D" own "own TLS" --cafile "$PKI/ca.pem"
stop "$BGPID"
D=$(free_port)
server_ini "$WORK/d.ini" "$D"
bg env ATTLS_CONFIG="$WORK/d.ini" LD_PRELOAD="$LIB" "$PY3" "$PY/duplex_server.py" "$D" "$WORK/down" \
	"$WORK/recv.attls" $SIZE >>"$WORK/d.log" 2>&1
DPID=$BGPID
wait_port "$D" || exit 1
if ! duplex "$D" attls "under attls" --cafile "$PKI/ca.pem"; then
	fail "3: threaded blocking server under attls: 8 MiB each way at once, 5 times, intact (sha256)"
	say "under attls: the server's threads wait in: $(for t in /proc/$DPID/task/*; do
		cat "$t/wchan" 2>/dev/null; echo; done | sort | uniq -c | tr -s ' \n' ' ')"
else
	pass "3: threaded blocking server under attls: 8 MiB each way at once, 5 times, intact (sha256)"
fi
stop "$DPID"
grep ATTLS "$WORK/d.log" | sed -E 's/conn=[^ ]+ //' | sort | uniq -c | head -4 | while read -r l; do say "server's stderr: $l"; done

########################################################################
# 4. RabbitMQ, a throw-away node, AMQP over TLS by attls.
EPMD=$(ls /usr/lib/erlang/erts-*/bin/epmd | head -1)
NODE=attls-test-$$@localhost
mkdir -p "$WORK/rmq"
chmod 700 "$WORK/rmq"
echo '[].' >"$WORK/rmq/enabled_plugins"
: >"$WORK/rmq/env.conf"
EPMD_PORT=$(free_port)
bg "$EPMD" -address 127.0.0.1 -port "$EPMD_PORT"
EPMD_PID=$BGPID
wait_port "$EPMD_PORT" || exit 1
RMQ_ENV=(HOME="$WORK/rmq" ERL_EPMD_PORT="$EPMD_PORT" RABBITMQ_NODENAME="$NODE"
	RABBITMQ_CONFIG_FILE="$WORK/rmq/rabbitmq.conf" RABBITMQ_MNESIA_BASE="$WORK/rmq/mnesia"
	RABBITMQ_LOG_BASE="$WORK/rmq/log" RABBITMQ_ENABLED_PLUGINS_FILE="$WORK/rmq/enabled_plugins"
	RABBITMQ_CONF_ENV_FILE="$WORK/rmq/env.conf" RABBITMQ_PID_FILE="$WORK/rmq/pid"
	RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}")
RMQ_TREE=()

# start_rabbit AMQP_PORT [POLICY]: a node with the config already in
# $WORK/rmq/rabbitmq.conf, under attls when POLICY is given; waits 60 s at
# most for the AMQP port; records beam.smp and its children.
start_rabbit() {
	local pre=()
	[ -n "${2:-}" ] && pre=(ATTLS_CONFIG="$2" LD_PRELOAD="$LIB")
	rm -rf "$WORK/rmq/mnesia" "$WORK/rmq/pid"
	bg env "${RMQ_ENV[@]}" RABBITMQ_DIST_PORT="$(free_port)" "${pre[@]}" \
		/usr/lib/rabbitmq/bin/rabbitmq-server >>"$WORK/rmq/stdout" 2>&1
	RMQ_SH=$BGPID
	local t0=$SECONDS
	wait_port "$1" 60 || return 1
	BEAM=$(ss -Hltnp "sport = :$1" | grep -oE 'pid=[0-9]+' | head -1 | cut -d= -f2)
	PIDS+=("$BEAM")
	RMQ_TREE+=("$BEAM" $(pgrep -P "$BEAM") $(for c in $(pgrep -P "$BEAM"); do pgrep -P "$c"; done))
	say "rabbitmq listens after $((SECONDS - t0)) s (beam.smp pid $BEAM)"
}

# stop_rabbit: beam.smp first (SIGTERM: a clean shutdown), then its script.
stop_rabbit() {
	stop "$BEAM"
	stop "$RMQ_SH"
}

# amqp PORT WHAT [CLIENT OPTIONS]: the pika round trip.
amqp() {
	local port=$1 what=$2 rc
	shift 2
	timeout 90 "$PY3" "$PY/amqp_roundtrip.py" "$port" "$@" >"$WORK/amqp.out" 2>&1
	rc=$?
	while read -r l; do say "$what: $l"; done < <(tail -7 "$WORK/amqp.out")
	return $rc
}

# Control: the node's own TLS listener, no attls.
A=$(free_port)
cat >"$WORK/rmq/rabbitmq.conf" <<EOF2
listeners.tcp = none
listeners.ssl.default = 127.0.0.1:$A
ssl_options.cacertfile = $PKI/ca.pem
ssl_options.certfile = $PKI/server.pem
ssl_options.keyfile = $PKI/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
EOF2
if start_rabbit "$A"; then
	check "4 control: rabbitmq's own TLS, pika over TLS: 1 B to 16 MiB intact (sha256)" \
		amqp "$A" "rabbitmq's own TLS" --cafile "$PKI/ca.pem"
else
	fail "4 control: rabbitmq did not listen within 60 s"
fi
stop_rabbit

A=$(free_port)
printf 'listeners.tcp.default = 127.0.0.1:%s\n' "$A" >"$WORK/rmq/rabbitmq.conf"
server_ini "$WORK/rmq.ini" "$A"
if start_rabbit "$A" "$WORK/rmq.ini"; then
	check "4: rabbitmq under attls, pika over TLS: 1 B to 16 MiB intact (sha256)" \
		amqp "$A" "rabbitmq under attls" --cafile "$PKI/ca.pem"
	# The bin/ script itself: /usr/sbin/rabbitmqctl runs as the rabbitmq user, with another cookie.
	if out=$(timeout 30 env "${RMQ_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl -n "$NODE" -q list_queues name 2>&1); then
		pass "4: the distribution port and epmd stay clear text: rabbitmqctl reaches the node"
	else
		fail "4: the distribution port and epmd stay clear text: rabbitmqctl reaches the node"
		say "rabbitmqctl: $(tail -3 <<<"$out")"
	fi
else
	fail "4: rabbitmq under attls did not listen within 60 s"
	tail -5 "$WORK/rmq/stdout" >&2
fi
stop_rabbit
stop "$EPMD_PID"
left=""
for p in "${RMQ_TREE[@]}" "$EPMD_PID"; do
	[ -d "/proc/$p" ] && [ "$(ps -o stat= -p "$p" | cut -c1)" != Z ] && left="$left $p($(ps -o comm= -p "$p"))"
done
left="$left$(pgrep -f "$NODE" | tr '\n' ' ')"
check "4: no beam.smp, epmd or child of theirs left running${left:+:$left}" [ -z "${left// /}" ]

finish

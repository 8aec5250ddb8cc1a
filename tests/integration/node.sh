#!/usr/bin/env bash
# Node.js (libuv), unmodified from Debian, under attls; content checked by
# SHA-256, each run once more without attls (node's own TLS) so that a
# failure is known to be attls's. libuv closes its fds with
# syscall(SYS_close), which no close hook sees: the next connection that
# gets the same fd number must not inherit the dead one's TLS state.
#  1. inbound: a node http server, its port TLS (role server); a python3
#     ssl client makes 1,000 requests, 8 threads, each a new connection;
#     then wrk over https, 16 connections, each request a new connection
#     (Connection: close), for 3 s: no socket error, no status but 200.
#  2. outbound: a node http client, the server's port TLS (role client),
#     to a python3 ssl server; 1,000 requests one at a time and 1,000 with
#     16 at once, keepAlive off (each a new connection).
source "$(dirname "$0")/lib.sh"
PY=$TOP/tests/integration/py
JS=$TOP/tests/integration/js
NODE=$(command -v node || command -v nodejs) || { echo "node.sh: no node (apt-get install nodejs)" >&2; exit 1; }
make_pki

mkdir -p "$WORK/www"
head -c 1024 /dev/urandom >"$WORK/www/f1k"
head -c 65536 /dev/urandom >"$WORK/www/f64k"
head -c 262144 /dev/urandom >"$WORK/www/f256k"

# load PORT WHAT [N] [THREADS]: the python3 ssl client against PORT; its
# summary goes to the test's output.
load() {
	local out rc
	out=$(timeout 120 python3 "$PY/https_load.py" "$1" "$WORK/www" "${3:-1000}" "${4:-8}" \
		"$PKI/ca.pem" 2>&1)
	rc=$?
	say "$2: $(printf '%s' "$out" | head -6 | tr '\n' ';')"
	return $rc
}

# hammer PORT WHAT: wrk, 3 s, a new connection for each request; passes
# when some requests were made, none with a socket error or another status.
hammer() {
	local out n
	out=$(timeout 30 wrk -t2 -c16 -d3s -H 'Connection: close' "https://localhost:$1/f1k" 2>&1)
	n=$(printf '%s\n' "$out" | awk '/requests in/ {print $1}')
	say "$2: wrk: ${n:-no} requests; $(printf '%s\n' "$out" | grep -E 'Socket errors|Non-2xx' | tr '\n' ';')"
	[ "${n:-0}" -gt 0 ] && ! printf '%s\n' "$out" | grep -qE 'Socket errors|Non-2xx'
}

########################################################################
# 1. inbound.
N1=$(free_port)
bg "$NODE" "$JS/http_server.js" "$N1" "$WORK/www" "$PKI/server.pem" "$PKI/server.key" \
	>>"$WORK/n1own.log" 2>&1
wait_port "$N1" || exit 1
check "1 control: node's own https server: 1,000 requests, each a new connection, all intact" \
	load "$N1" "node's own TLS"
check "1 control: node's own https server: wrk, a new connection each request, no error" \
	hammer "$N1" "node's own TLS"
stop "$BGPID"

N1=$(free_port)
policy "$WORK/n1.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 5s
[keyring srv]
cert = @PKI@/server.pem
key = @PKI@/server.key
ca = @PKI@/ca.pem
[traffic in_node]
direction = inbound
local_port = $N1
role = server
keyring = srv
EOF2
bg env ATTLS_CONFIG="$WORK/n1.ini" LD_PRELOAD="$LIB" "$NODE" "$JS/http_server.js" "$N1" \
	"$WORK/www" >>"$WORK/n1.log" 2>&1
NODE_PID=$BGPID
wait_port "$N1" || exit 1
check "1: node http server under attls, inbound TLS: 1,000 requests, each a new connection, all intact" \
	load "$N1" "node under attls"
check "1: node http server under attls: wrk, a new connection each request, no error" \
	hammer "$N1" "node under attls"
check "1: the node server is still running" kill -0 "$NODE_PID"
stop "$NODE_PID"
grep -m3 ATTLS "$WORK/n1.log" | while read -r l; do say "server log: $l"; done

########################################################################
# 2. outbound.
S=$(free_port)
bg python3 "$PY/https_files.py" "$S" "$WORK/www" "$PKI/server.pem" "$PKI/server.key" \
	>>"$WORK/s.log" 2>&1
wait_port "$S" || exit 1

# client SCHEME CONC WHAT [POLICY]: the node client, 1,000 requests, CONC
# at a time; under attls when POLICY is given.
client() {
	local out rc pre=()
	[ -n "${4:-}" ] && pre=(env ATTLS_CONFIG="$4" LD_PRELOAD="$LIB")
	out=$(timeout 120 "${pre[@]}" "$NODE" "$JS/http_client.js" "$1" "$S" "$WORK/www" 1000 "$2" \
		"$PKI/ca.pem" 2>&1)
	rc=$?
	say "$3: $(printf '%s' "$out" | head -6 | tr '\n' ';')"
	return $rc
}

check "2 control: node's own https client: 1,000 sequential requests, all intact" \
	client https 1 "node's own TLS, sequential"
check "2 control: node's own https client: 1,000 requests 16 at once, all intact" \
	client https 16 "node's own TLS, 16 at once"

policy "$WORK/n2.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 5s
[keyring k]
ca = @PKI@/ca.pem
[traffic out_node]
direction = outbound
remote_port = $S
server_name = localhost
keyring = k
EOF2
check "2: node http client under attls, outbound TLS: 1,000 sequential requests, all intact" \
	client http 1 "node under attls, sequential" "$WORK/n2.ini"
check "2: node http client under attls, outbound TLS: 1,000 requests 16 at once, all intact" \
	client http 16 "node under attls, 16 at once" "$WORK/n2.ini"

finish

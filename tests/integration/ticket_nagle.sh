#!/usr/bin/env bash
# A TLS 1.3 server that verifies its client sends its session ticket in the
# same segment as the program's first answer: alone, after the client's
# Finished, it would make Nagle's algorithm hold that answer until the
# client's delayed ACK, about 40 ms on every new connection. Counted on the
# server's send calls (strace), not timed: the first flight, the ticket
# with the answer, close_notify.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
make_pki
command -v strace >/dev/null || { say "strace missing"; exit 1; }
mkdir -p "$WORK/www"
chmod 755 "$WORK" "$WORK/www"
printf 'hello\n' >"$WORK/www/small"
chmod 644 "$WORK/www/small"

# sends LEVEL_LINES: the server's send calls for one request with a client
# certificate, the server under attls with the given [security] lines.
sends() {
	local P d=$WORK/ng.$RANDOM
	P=$(free_port)
	policy "$WORK/p.ini" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
ca = @PKI@/ca.pem
[security s]
$1
[traffic in]
direction = inbound
local_port = $P
keyring = k
security = s
EOF2
	nginx_conf "$d" "$P" 1
	bg env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" strace -f -qq -e trace=sendto,sendmsg \
		-o "$d/strace" nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf"
	local S=$BGPID
	wait_port "$P" || return 1
	# Stopping strace would leave nginx running: nginx is stopped by its pid.
	for _ in $(seq 50); do [ -s "$d/nginx.pid" ] && break; sleep 0.1; done
	cp "$d/strace" "$d/strace.before"
	timeout 10 curl -s --cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client.key" \
		-o "$WORK/got" "https://localhost:$P/small" || echo "curl failed" >&2
	sleep 0.2
	stop "$(cat "$d/nginx.pid")"
	stop "$S"
	cmp -s "$WORK/got" "$WORK/www/small" || echo "wrong body" >&2
	# The calls after the listening socket was probed by wait_port.
	# attls's own sends on the connection: the first flight, the answer,
	# close_notify (the master's sendmsg to its worker is not one).
	diff "$d/strace.before" "$d/strace" | grep -c '^> .*sendto(' >"$WORK/n"
}

sends "protocols = TLSv1.3
client_auth = required"
n=$(cat "$WORK/n")
say "TLS 1.3, client certificate required: $n send calls"
check "TLS 1.3 with client_auth = required: the ticket leaves with the answer (3 sends, got $n)" \
	[ "$n" = 3 ]
sends "protocols = TLSv1.3
client_auth = none"
n=$(cat "$WORK/n")
say "TLS 1.3, no client certificate: $n send calls"
check "TLS 1.3 without client auth: the ticket leaves in the first flight (3 sends, got $n)" \
	[ "$n" = 3 ]
finish

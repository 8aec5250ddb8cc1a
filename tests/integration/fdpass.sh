#!/usr/bin/env bash
# A TCP socket that reaches the process without its accept or connect
# being seen, on a port a descriptor covers, gets no clear text through:
# a parent without attls makes the connection and passes it to a child
# under attls (through SCM_RIGHTS, or inherited across exec); attls starts
# TLS on it in the role its descriptor says (here the peers speak no TLS:
# the handshake never ends), the child's clear-text write never goes out,
# and the peer's recording holds none of it. Controls: the same child without attls, and under attls with
# a policy that does not cover the port, do send in clear (no match, no
# change), so the recordings can show it.
#  1. outbound: the parent connects to recorder.py on a port covered as
#     remote_port (role client); SCM_RIGHTS.
#  2. inbound: the parent listens on a port covered as local_port (role
#     server) and records what its own client receives; SCM_RIGHTS.
#  3. outbound, the fd inherited across exec.
source "$(dirname "$0")/lib.sh"
PY=$TOP/tests/integration/py
make_pki

P=$(free_port)
L=$(free_port)
OTHER=$(free_port) # covered by other.ini; nothing listens there
policy "$WORK/p.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 5s
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
ca = @PKI@/ca.pem
[traffic out]
direction = outbound
remote_port = $P
server_name = localhost
keyring = k
[traffic in]
direction = inbound
local_port = $L
role = server
keyring = k
EOF2
policy "$WORK/other.ini" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
ca = @PKI@/ca.pem
[traffic out]
direction = outbound
remote_port = $OTHER
server_name = localhost
keyring = k
EOF2

# run NAME MODE PORT [POLICY]: the parent and its child; the child's report
# in $WORK/NAME.out, its stderr in $WORK/NAME.err, what the peer got in
# $WORK/NAME.rec (from recorder.py for out and inherit, from the parent's
# own client for in).
run() {
	local name=$1 mode=$2 port=$3 env=()
	[ -n "${4:-}" ] && env=(ATTLS_CONFIG="$4" LD_PRELOAD="$LIB")
	: >"$WORK/$name.rec"
	if [ "$mode" != in ]; then
		bg python3 "$PY/recorder.py" "$port" "$WORK/$name.rec" --lifetime 30
		REC_PID=$BGPID
		wait_port "$port" || return 1
	fi
	timeout 30 python3 "$PY/fdpass.py" parent "$mode" "$port" "$WORK/$name.rec" \
		"${env[@]}" -- >"$WORK/$name.out" 2>"$WORK/$name.err"
	if [ "$mode" != in ]; then
		sleep 0.5
		stop "$REC_PID"
	fi
	say "$name: child: $(tr '\n' ' ' <"$WORK/$name.out")$(grep -m1 -o 'ATTLS[0-9]*[A-Z].*' "$WORK/$name.err")"
}

clear_seen() { grep -q SECRET-CLEAR-TEXT "$WORK/$1.rec"; }
no_clear() { ! grep -q SECRET-CLEAR-TEXT "$WORK/$1.rec"; }
# The program's write did not go out (the peer speaks no TLS: the handshake
# waits, EAGAIN on a non-blocking socket, or fails).
not_sent() { grep -q '^refused' "$WORK/$1.out" && ! grep -q '^sent' "$WORK/$1.out"; }
# What reached the recorder starts with a TLS handshake record (a ClientHello).
tls_hello() {
	local h
	h=$(od -An -tx1 -N6 "$WORK/$1.rec" | tr -d ' \n')
	[ "${h:0:4}" = 1603 ] && [ "${h:10:2}" = 01 ]
}

run c_plain out "$P"
check "control: without attls the passed socket carries the clear text to the recorder" clear_seen c_plain
run c_other out "$P" "$WORK/other.ini"
check "control: under attls, a passed socket no descriptor covers is left alone (clear text, as asked)" \
	clear_seen c_other
run c_in in "$L"
check "control: without attls the parent's own client receives the clear text" clear_seen c_in

run out out "$P" "$WORK/p.ini"
check "1: outbound socket through SCM_RIGHTS: TLS starts on it, as a client (a ClientHello)" \
	tls_hello out
check "1: outbound socket through SCM_RIGHTS: the clear-text write does not go out" not_sent out
check "1: outbound socket through SCM_RIGHTS: no clear text reached the peer" no_clear out

run in in "$L" "$WORK/p.ini"
check "2: inbound socket through SCM_RIGHTS: TLS starts on it, as a server (the clear peer's handshake times out)" \
	grep -q ATTLS023E "$WORK/in.err"
check "2: inbound socket through SCM_RIGHTS: the clear-text write does not go out" not_sent in
check "2: inbound socket through SCM_RIGHTS: no clear text reached the peer" no_clear in

run inh inherit "$P" "$WORK/p.ini"
check "3: outbound socket inherited across exec: TLS starts on it, as a client (a ClientHello)" \
	tls_hello inh
check "3: outbound socket inherited across exec: the clear-text write does not go out" not_sent inh
check "3: outbound socket inherited across exec: no clear text reached the peer" no_clear inh

finish

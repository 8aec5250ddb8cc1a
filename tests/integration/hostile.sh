#!/usr/bin/env bash
# Hostile peers. A server under attls (one process, py/hostile_app.py) and
# a client under attls each face peers written to misbehave: clear text,
# random bytes, a truncated first flight, an oversized record, a reset
# during the handshake and in the middle of a record, slowloris, a
# KeyUpdate storm, a renegotiation, and certificates that are expired, not
# yet valid, self-signed, for another name, without the key usage their
# role needs, and chains of 3, 10 and 11 certificates (the peer sends all
# but the CA; wolfSSL takes at most 9 from a peer). For each: the program
# gets an error (or, for the storm and the renegotiation, a working or
# cleanly ended connection), the peer's recording of every byte it received
# holds none of the program's clear text, and the server goes on serving.
source "$(dirname "$0")/lib.sh"
make_pki
PY=$(dirname "$0")/py
python3 "$PY/hostile_pki.py" "$PKI" "$PKI/ca.pem" "$PKI/ca.key" || exit 1
SECRET="attls-secret-$RANDOM$RANDOM"
S=$(free_port) M=$(free_port)
policy "$WORK/server.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 2s
[keyring srv]
cert = @PKI@/server.pem
key = @PKI@/server.key
ca = @PKI@/ca.pem
[security mutual]
client_auth = required
[traffic in]
direction = inbound
local_port = $S
keyring = srv
[traffic in_mutual]
direction = inbound
local_port = $M
keyring = srv
security = mutual
EOF2
bg env ATTLS_CONFIG="$WORK/server.ini" LD_PRELOAD="$LIB" \
	python3 "$PY/hostile_app.py" server "$WORK/app.log" "$SECRET" "$S" "$M" 2>>"$WORK/server.err"
SERVER=$BGPID
wait_port "$S" || exit 1
wait_port "$M" || exit 1
touch "$WORK/app.log"

# no_secret FILE: the recording holds no clear text of the program's.
no_secret() { ! grep -qa -e "$SECRET" "$1"; }
# next_line N: the line N + 1 of the program's log, once written (10 s).
next_line() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(wc -l <"$WORK/app.log")" -gt "$1" ] && break
		sleep 0.1
	done
	sed -n "$(($1 + 1))p" "$WORK/app.log"
}
# served WHAT: the server is alive and a good client gets its echo.
served() {
	local out
	out=$(timeout 20 python3 "$PY/hostile_peer.py" client "$S" good /dev/null --ca "$PKI/ca.pem" 2>&1)
	check "$1: the server goes on serving (a good client: $out)" \
		bash -c "kill -0 $SERVER && [ '$out' = echoed ]"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }

say "server under attls, hostile clients:"
for mode in clear random truncated oversized rst-hs rst-record slowloris; do
	n=$(wc -l <"$WORK/app.log")
	rec=$WORK/server.$mode.rec
	t0=$(date +%s%N)
	peer=$(timeout 30 python3 "$PY/hostile_peer.py" client "$S" "$mode" "$rec" --ca "$PKI/ca.pem" 2>&1)
	line=$(next_line "$n")
	ms=$((($(date +%s%N) - t0) / 1000000))
	check "$mode: the program's connection ends with an error ($line; peer: $peer)" \
		grep -q ' error ' <<<"$line"
	check "$mode: none of the program's clear text reached the peer" no_secret "$rec"
	check "$mode: the peer played its part to the end ($peer)" grep -qE '^(closed|reset)' <<<"$peer"
	case $mode in
	slowloris)
		check "slowloris: cut at handshake_timeout (2 s), not served to the end ($ms ms)" \
			bash -c "grep -q ETIMEDOUT <<<'$line' && [ $ms -ge 1900 ] && [ $ms -lt 5000 ]"
		;;
	rst-record | oversized)
		check "$mode: the handshake was complete, the program saw no data (echoed 0)" \
			grep -q 'recv .* echoed 0' <<<"$line"
		;;
	esac
	served "$mode"
done

# A KeyUpdate storm: an OpenSSL client sends 5000 KeyUpdates that each
# ask for one back, then a line that must come back. Afterwards the server
# must be idle, not spin.
gcc -std=c11 -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -o "$WORK/keyupdate_storm" \
	"$(dirname "$0")/c/keyupdate_storm.c" -lssl -lcrypto || { echo "cannot build keyupdate_storm (libssl-dev)"; exit 1; }
n=$(wc -l <"$WORK/app.log")
out=$(timeout 60 "$WORK/keyupdate_storm" "$S" "$PKI/ca.pem" 5000 2>&1)
line=$(next_line "$n")
if grep -q '^echoed after 5000' <<<"$out"; then
	check "KeyUpdate storm: survived, the line after it is echoed, the end is clean ($out; $line)" \
		grep -q ' eof echoed 16$' <<<"$line"
else
	check "KeyUpdate storm: attls ended the connection, with an error to the program ($out; $line)" \
		grep -q ' error ' <<<"$line"
fi
before=$(cpu_ticks)
sleep 1
used=$(($(cpu_ticks) - before))
check "KeyUpdate storm: the server is idle after it ($used ticks in 1 s)" \
	[ "$used" -le 5 ]
served "KeyUpdate storm"

# A renegotiation in TLS 1.2: refused with a fatal alert (wolfSSL is built
# without renegotiation); the program had the data before it, then gets an
# error, and sees nothing after it.
n=$(wc -l <"$WORK/app.log")
{
	echo "before"
	sleep 0.5
	echo R
	sleep 1
	echo "after"
	sleep 1
} | timeout 30 openssl s_client -tls1_2 -connect "127.0.0.1:$S" -CAfile "$PKI/ca.pem" \
	-verify_return_error >"$WORK/reneg.out" 2>&1
line=$(next_line "$n")
check "renegotiation: s_client asked for it and got a fatal alert (unexpected_message)" \
	bash -c "grep -q '^RENEGOTIATING' '$WORK/reneg.out' && grep -q 'alert unexpected message' '$WORK/reneg.out'"
check "renegotiation: the program got the data before it, then ECONNRESET ($line)" \
	grep -q ' error recv ECONNRESET echoed 7$' <<<"$line"
served "renegotiation"

# Client certificates on the port that requires one: each refused, and
# s_client (which prints what it decrypts) never sees the program's data.
say "server under attls (client_auth = required), hostile client certificates:"
for c in expired notyet selfsigned stranger noclientauth nodigsig; do
	n=$(wc -l <"$WORK/app.log")
	echo ping | timeout 20 openssl s_client -connect "127.0.0.1:$M" -CAfile "$PKI/ca.pem" \
		-cert "$PKI/$c.pem" -key "$PKI/$c.key" -ign_eof >"$WORK/cc.$c.out" 2>&1
	line=$(next_line "$n")
	check "client certificate $c: refused, the program gets an error ($line)" \
		grep -q ' error ' <<<"$line"
	check "client certificate $c: the peer never saw the program's data" no_secret "$WORK/cc.$c.out"
done
out=$(echo ping | timeout 20 openssl s_client -quiet -connect "127.0.0.1:$M" -CAfile "$PKI/ca.pem" \
	-cert "$PKI/client.pem" -key "$PKI/client.key" 2>/dev/null | head -c 200)
check "client certificate: the good one is accepted (the program's greeting arrives)" \
	grep -q "$SECRET" <<<"$out"

# The client under attls against hostile servers.
say "client under attls, hostile servers:"
ports=()
for mode in clear random truncated oversized rst-hs rst-record slowloris; do
	ports+=("$(free_port)")
done
for c in expired notyet selfsigned wrongname stranger noserverauth nodigsig chain3 chain10 chain11; do
	ports+=("$(free_port)")
done
policy "$WORK/client.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 2s
[keyring k]
ca = @PKI@/ca.pem
[traffic out]
direction = outbound
remote_port = $(IFS=,; echo "${ports[*]}")
server_name = localhost
keyring = k
EOF2
i=0
for mode in clear random truncated oversized rst-hs rst-record slowloris; do
	port=${ports[i]}
	i=$((i + 1))
	rec=$WORK/client.$mode.rec
	bg timeout 30 python3 "$PY/hostile_peer.py" server "$port" "$mode" "$rec" \
		--cert "$PKI/server.pem" --key "$PKI/server.key" >"$WORK/peer.$mode.out"
	wait_port "$port" || exit 1
	t0=$(date +%s%N)
	out=$(under "$WORK/client.ini" python3 "$PY/hostile_app.py" client "$port" "$SECRET" 2>"$WORK/c.err")
	ms=$((($(date +%s%N) - t0) / 1000000))
	# The handshake fails: connect says so (EACCES; ETIMEDOUT at the
	# deadline, through SO_ERROR here: Python's connect with a timeout is
	# non-blocking). A broken connection after it: ECONNRESET.
	case $mode in
	slowloris) want='error connect ETIMEDOUT' ;;
	oversized | rst-record) want='error recv ECONNRESET' ;;
	*) want='error connect EACCES' ;;
	esac
	check "$mode server: the program's call fails ($out)" grep -q "^$want " <<<"$out"
	wait "$BGPID"
	check "$mode server: the peer played its part to the end ($(cat "$WORK/peer.$mode.out"))" \
		grep -qE '^(closed|reset)' "$WORK/peer.$mode.out"
	check "$mode server: the refusal is logged ($(grep -o 'ATTLS0[0-9]*E.*' "$WORK/c.err" | sed 's/ conn=.* rule=[^:]*:/:/' | head -1))" \
		grep -q 'ATTLS0[23][0-9]E' "$WORK/c.err"
	check "$mode server: none of the program's clear text reached it" no_secret "$rec"
	case $mode in
	slowloris)
		check "slowloris server: cut at handshake_timeout ($ms ms)" \
			bash -c "[ $ms -ge 1900 ] && [ $ms -lt 5000 ]"
		;;
	rst-record | oversized)
		check "$mode server: the handshake was complete, the program's data went out sealed" \
			bash -c "[ \$(stat -c %s '$rec') -gt $((${#SECRET} + 200)) ]"
		;;
	esac
done

# A server that asks for a renegotiation (HelloRequest, TLS 1.2): the
# client refuses it (no_renegotiation); s_server then ends the connection
# and the program gets ECONNRESET.
port=$(free_port)
{
	sleep 1
	echo r
	sleep 2
} | timeout 10 openssl s_server -tls1_2 -accept "$port" -cert "$PKI/server.pem" \
	-key "$PKI/server.key" -msg >"$WORK/hello_request.out" 2>&1 &
BGPID=$!
PIDS+=("$BGPID")
wait_port "$port" || exit 1
policy "$WORK/client_hr.ini" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
ca = @PKI@/ca.pem
[traffic out]
direction = outbound
remote_port = $port
server_name = localhost
keyring = k
EOF2
out=$(under "$WORK/client_hr.ini" python3 "$PY/hostile_app.py" client "$port" "$SECRET" 2>"$WORK/c.err")
wait "$BGPID"
check "renegotiation asked by the server: refused (no_renegotiation), the program gets ECONNRESET ($out)" \
	bash -c "grep -q 'HelloRequest' '$WORK/hello_request.out' &&
		grep -q 'Alert.*warning no_renegotiation' '$WORK/hello_request.out' &&
		grep -q '^error recv ECONNRESET' <<<'$out'"

say "client under attls, hostile server certificates:"
for c in expired notyet selfsigned wrongname stranger noserverauth nodigsig chain3 chain10 chain11; do
	port=${ports[i]}
	i=$((i + 1))
	rec=$WORK/cert.$c.rec
	bg python3 "$PY/recorder.py" "$port" "$rec" --tls "$PKI/$c.pem" "$PKI/$c.key" --lifetime 20
	wait_port "$port" || exit 1
	out=$(under "$WORK/client.ini" python3 "$PY/hostile_app.py" client "$port" "$SECRET" 2>"$WORK/c.err")
	stop "$BGPID"
	case $c in
	chain3 | chain10)
		check "$c: a chain of ${c#chain} (the peer sends $((${c#chain} - 1))) is accepted ($out)" \
			grep -q '^got ' <<<"$out"
		check "$c: the handshake succeeded (nothing logged)" bash -c "! grep -q ATTLS02 '$WORK/c.err'"
		;;
	*)
		check "$c: refused, the program's call fails ($out)" grep -q '^error ' <<<"$out"
		check "$c: the reason is logged ($(grep -o 'rule=out: .*' "$WORK/c.err" | head -1))" \
			grep -q 'ATTLS02' "$WORK/c.err"
		check "$c: none of the program's clear text reached the server" no_secret "$rec"
		;;
	esac
done

check "the server under attls is still running" kill -0 "$SERVER"
stop "$SERVER"
finish

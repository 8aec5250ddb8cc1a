#!/usr/bin/env bash
# A live TLS session travels with its fd through SCM_RIGHTS. A master under
# attls (c/fd_travel.c) accepts TLS connections and hands each to a worker
# process over a unix socketpair, closing its own copy at once; the worker
# answers as an HTTP server. Clients: curl, openssl s_client and a Python
# client that sends its request in two records, all verifying the server.
# A real program too: a Node.js cluster (its primary hands each connection
# to a worker).
#  1. fresh: the master passes each connection as accepted (no handshake
#     yet): the worker's reply arrives inside TLS; the master's copy, after
#     the handoff, reads end of file and writes EPIPE; the master's close
#     does not cut the worker off.
#  2. after the master read: the master reads the request line itself (the
#     handshake done in the master, and what the client sent right after it
#     read and decrypted there), then passes the connection: the rest of
#     the request reaches the worker, and the reply arrives inside TLS; the
#     same with sendmmsg and recvmmsg, over SOCK_SEQPACKET, with a worker
#     whose event loop (epoll) must see that rest as ready, and through a
#     relay process that sends each connection on unused.
#  3. the sendmsg fails (EAGAIN, the unix socket full): the session stays
#     the master's, which answers that client itself; a second thread that
#     writes while the connection is sent away gets all it wrote before
#     the handoff to the client, in order and inside TLS, then EBADF or
#     EPIPE.
#  4. a worker without attls: it gets, for the one fd sent, the unix
#     carrier and an unconnected socket in the connection's place (the
#     master cannot know, and says nothing); the client sees its
#     connection end with nothing but TLS records on the wire (the
#     worker's clear-text writes fail with EPIPE on both), and the master
#     goes on to the next connection.
#  5. where the receiver is not looked up, it all works the same: a worker
#     that runs as another user than the master, a master chrooted into an
#     empty directory (no /proc), a master that is not root, and a master
#     that sends on a unix connection the worker accepts only afterwards.
# With MSG_CMSG_CLOEXEC, the socket the worker gets is close-on-exec, and
# only then. In every case the worker's control buffer
# (CMSG_SPACE(sizeof(int))) gets the one fd sent, no MSG_CTRUNC, and no
# other; sent three, it gets two and MSG_CTRUNC, as without attls, and the
# first keeps its session.
source "$(dirname "$0")/lib.sh"
C=$TOP/tests/integration/c
PY=$TOP/tests/integration/py
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -pthread -o "$WORK/fd_travel" \
	"$C/fd_travel.c" || exit 1
make_pki

P=$(free_port)
policy "$WORK/p.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 5s
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
ca = @PKI@/ca.pem
[traffic in]
direction = inbound
local_port = $P
role = server
keyring = k
EOF2

# master NAME COUNT READ_FIRST WORKER_PRELOAD [KEEP_FIRST]: the master under
# attls, in the background; its lines in $WORK/NAME.out, stderr in NAME.err.
master() {
	bg timeout 60 env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" "$WORK/fd_travel" "$P" \
		"$2" "$3" "$4" "${5:-0}" >"$WORK/$1.out" 2>"$WORK/$1.err"
	MASTER=$BGPID
	wait_port "$P"
}

# master_done NAME: the master has served its connections and exited.
master_done() {
	timeout 20 tail --pid="$MASTER" -f /dev/null
	stop "$MASTER"
	say "$1: $(tr '\n' '|' <"$WORK/$1.out")"
	[ -s "$WORK/$1.err" ] && say "$1 stderr: $(tr '\n' '|' <"$WORK/$1.err")"
	grep -q "^master done" "$WORK/$1.out"
}

curl_get() { timeout 10 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$1$2" 2>&1; }
sclient_get() {
	printf 'GET %s HTTP/1.0\r\n\r\n' "$2" | timeout 10 openssl s_client -connect "127.0.0.1:$1" \
		-servername localhost -verify_return_error -verify_hostname localhost \
		-CAfile "$PKI/ca.pem" -quiet 2>/dev/null
}
py_get() { timeout 10 python3 "$PY/tls_wire.py" client "$1" "$PKI/ca.pem" "$2" 2>&1 | tail -n 3; }

# served NAME: every connection went to the worker (its control data exact).
served() {
	local n=$2
	[ "$(grep -c '^worker ctl exact: flags=0 controllen=24 fds=1$' "$WORK/$1.out")" = "$n" ] &&
		! grep -q 'WRONG' "$WORK/$1.out"
}
# copies NAME N: the master's copy of each of N connections, after the
# handoff: a write says EPIPE, a read finds end of file.
copies() {
	[ "$(grep -c '^master copy [0-9]*: write=-1 Broken pipe read=0$' "$WORK/$1.out")" = "$2" ]
}

for mode in fresh read mmsg seqpacket; do
	rf=0
	[ $mode != fresh ] && rf=1
	export FD_TRAVEL_MMSG=0 FD_TRAVEL_SEQPACKET=0
	[ $mode = mmsg ] && FD_TRAVEL_MMSG=1
	[ $mode = seqpacket ] && FD_TRAVEL_SEQPACKET=1
	master "$mode" 3 $rf 1
	a=$(curl_get "$P" /curl-$mode)
	b=$(sclient_get "$P" /sclient-$mode)
	c=$(py_get "$P" /py-$mode)
	check "$mode: master exits after its connections" master_done "$mode"
	say "$mode replies: $a | $b | $c"
	check "$mode: curl's reply came from the worker, inside TLS" \
		grep -Eq "^worker [0-9]+ got: GET /curl-$mode HTTP/1.1$" <<<"$a"
	check "$mode: s_client's reply came from the worker, inside TLS" \
		grep -Eq "^worker [0-9]+ got: GET /sclient-$mode HTTP/1.0$" <<<"$b"
	check "$mode: the two-record client's reply came from the worker, inside TLS" \
		grep -Eq "^worker [0-9]+ got: GET /py-$mode HTTP/1.0$" <<<"$c"
	check "$mode: the worker's control buffer got the one fd sent and nothing else" \
		served "$mode" 3
	check "$mode: the master's copy after the handoff reads end of file, writes EPIPE" \
		copies "$mode" 3
	check "$mode: the socket the worker got is not close-on-exec (no MSG_CMSG_CLOEXEC)" \
		test "$(grep -c '^worker fd cloexec=0$' "$WORK/$mode.out")" = 3
	check "$mode: the master's close did not cut the worker off (3 served)" \
		test "$(grep -c '^worker served' "$WORK/$mode.out")" = 3
done

# A second thread writes on each connection while the master sends it
# away: every line it wrote before the handoff reaches the client inside
# TLS, in order, then the worker's reply; its next write fails (EBADF
# during the export, EPIPE after), and every record decrypts (no record
# written with keys the worker had taken over).
for rf in 0 1; do
	export FD_TRAVEL_RACE=1
	master "race$rf" 3 $rf 1
	unset FD_TRAVEL_RACE
	: >"$WORK/race$rf.client"
	for i in 1 2 3; do
		timeout 10 python3 "$PY/tls_wire.py" rawclient "$P" "$PKI/ca.pem" "/race-$i" 2>&1 |
			tail -n 1 >>"$WORK/race$rf.client"
	done
	check "race ($([ $rf = 1 ] && echo 'after the master read' || echo fresh)): master exits" \
		master_done "race$rf"
	say "race$rf clients: $(tr '\n' '|' <"$WORK/race$rf.client")"
	check "race: every record decrypts, the lines in order, the worker's reply last" \
		test "$(grep -c '^tls ok: .* RACE lines in order, worker reply last$' \
			"$WORK/race$rf.client")" = 3
	check "race: the client got exactly the lines the second thread wrote" \
		test "$(grep -o '[0-9]* RACE lines' "$WORK/race$rf.client" | cut -d' ' -f1)" = \
		"$(grep -Eo '^master race [0-9]+: [0-9]+' "$WORK/race$rf.out" | cut -d' ' -f4)"
	check "race: the second thread's next write fails (EBADF or EPIPE)" \
		test "$(grep -Ec '^master race [0-9]+: [0-9]+ lines, then (Bad file descriptor|Broken pipe)$' \
			"$WORK/race$rf.out")" = 3
done

# An event-loop worker (Python selectors: epoll, non-blocking) waits for
# the rest of a request the master had already read and decrypted: it must
# show as ready at once, though the kernel has nothing left to read.
bg timeout 60 env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" python3 "$PY/fd_travel_loop.py" \
	"$P" 2 >"$WORK/loop.out" 2>"$WORK/loop.err"
MASTER=$BGPID
wait_port "$P"
a=$(curl_get "$P" /loop-one)
b=$(curl_get "$P" /loop-two)
check "event-loop worker: master exits" master_done loop
check "event-loop worker: what the master had decrypted shows as ready, and the replies come inside TLS" \
	test "$(grep -Ec '^loop worker got: GET /loop-(one|two) HTTP/1.1$' <<<"$a
$b")" = 2

# Two hops: a relay process receives each connection and sends it on,
# unused, to the worker; the session goes on with it.
bg timeout 60 env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" python3 "$PY/fd_travel_relay.py" \
	"$P" 2 >"$WORK/relay.out" 2>"$WORK/relay.err"
RELAY=$BGPID
wait_port "$P"
a=$(curl_get "$P" /hop-one)
b=$(curl_get "$P" /hop-two)
timeout 20 tail --pid="$RELAY" -f /dev/null
stop "$RELAY"
say "two hops: $a | $b $(head -c 600 "$WORK/relay.err")"
check "two hops: a connection sent on unused keeps its session; the worker answers inside TLS" \
	test "$(grep -Ec '^relayed worker [0-9]+ got: GET /hop-(one|two) HTTP/1.1$' <<<"$a
$b")" = 2

# A real program: a Node.js cluster, whose primary accepts each connection
# and hands it to one of two workers (round robin, Node's default on Linux).
if command -v node >/dev/null; then
	bg timeout 60 env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" node \
		"$TOP/tests/integration/js/cluster_server.js" "$P" 2 >"$WORK/node.out" 2>"$WORK/node.err"
	NODE=$BGPID
	for _ in $(seq 100); do grep -q 'workers listening' "$WORK/node.out" && break; sleep 0.1; done
	: >"$WORK/node.replies"
	for i in 1 2 3 4; do curl_get "$P" "/node-$i" >>"$WORK/node.replies"; done
	stop "$NODE"
	say "node: $(tr '\n' '|' <"$WORK/node.replies") $(head -c 600 "$WORK/node.err")"
	check "Node.js cluster: the primary hands each TLS connection to a worker, which answers inside TLS" \
		test "$(grep -Ec '^cluster worker [0-9]+ got: GET /node-[1-4]$' "$WORK/node.replies")" = 4
	check "Node.js cluster: both workers served" \
		test "$(grep -Eo '^cluster worker [0-9]+' "$WORK/node.replies" | sort -u | wc -l)" = 2
else
	say "skipped the Node.js cluster: no node"
fi

# Three fds where the worker's buffer has room for two: as without attls
# (the same program, plain HTTP), the kernel cuts the third (MSG_CTRUNC),
# and the first, the TLS socket, keeps its session.
export FD_TRAVEL_MMSG=0 FD_TRAVEL_SEQPACKET=0 FD_TRAVEL_EXTRA=1
bg timeout 60 "$WORK/fd_travel" "$P" 1 1 1 >"$WORK/cut-plain.out" 2>&1
MASTER=$BGPID
wait_port "$P"
a=$(timeout 10 curl -sS "http://127.0.0.1:$P/cut-plain" 2>&1)
check "three fds, room for two, without attls: master exits" master_done cut-plain
master cut 1 1 1
b=$(curl_get "$P" /cut)
check "three fds, room for two, under attls: master exits" master_done cut
check "three fds, room for two: without attls the worker gets two fds and MSG_CTRUNC" \
	grep -q '^worker ctl cut: flags=CTRUNC controllen=24 fds=2$' "$WORK/cut-plain.out"
check "three fds, room for two: under attls the same (two fds, MSG_CTRUNC, no memfd)" \
	grep -q '^worker ctl cut: flags=CTRUNC controllen=24 fds=2$' "$WORK/cut.out"
check "three fds, room for two: the fd that came keeps its session (reply inside TLS)" \
	grep -Eq '^worker [0-9]+ got: GET /cut HTTP/1.1$' <<<"$b"
export FD_TRAVEL_EXTRA=0

master keep 2 1 1 1
a=$(curl_get "$P" /one)
b=$(curl_get "$P" /two)
check "sendmsg fails: master exits" master_done keep
check "sendmsg fails with EAGAIN: the program sees it" \
	grep -q '^master full sendmsg: -1 Resource temporarily unavailable' "$WORK/keep.out"
check "sendmsg fails: the session stays the master's, which answers inside TLS" \
	grep -q '^master kept it' <<<"$a"
check "sendmsg fails: the next connection goes to the worker" \
	grep -Eq '^worker [0-9]+ got: GET /two HTTP/1.1$' <<<"$b"

# The worker under attls, with a policy that does not cover the port: the
# session that came is refused there (ATTLS013E), never used in clear.
other=$(free_port)
policy "$WORK/other.ini" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic elsewhere]
direction = inbound
local_port = $other
keyring = k
EOF2
R=$(free_port)
bg python3 "$PY/tls_wire.py" relay "$R" "$P" "$WORK/wire-uncovered" --lifetime 40
RELAY=$BGPID
wait_port "$R"
export FD_TRAVEL_WORKER_CONFIG=$WORK/other.ini
master uncovered 1 1 1
unset FD_TRAVEL_WORKER_CONFIG
a=$(curl_get "$R" /uncovered)
check "a worker whose policy does not cover the port: master exits" master_done uncovered
sleep 0.5
stop "$RELAY"
check "a worker whose policy does not cover the port: the session is refused there (ATTLS013E)" \
	grep -q "ATTLS013E.*came with it across exec or through SCM_RIGHTS, and no descriptor" \
	"$WORK/uncovered.err"
check "a worker whose policy does not cover the port: its reads and writes fail (ECONNRESET)" \
	grep -q '^worker clear write: Connection reset by peer' "$WORK/uncovered.out"
check "a worker whose policy does not cover the port: only TLS records reached the client" \
	python3 "$PY/tls_wire.py" check "$WORK/wire-uncovered.0"
check "a worker whose policy does not cover the port: no clear text reached the client" \
	test -z "$(grep -l CLEAR-TEXT "$WORK/wire-uncovered".*)"

# Nothing about the receiver is looked up: a master chrooted into an empty
# directory (no /proc there), a master that sends each connection on a
# unix connection of its own that the worker accepts a second later.
mkdir -p "$WORK/jail"
for mode in chroot listen; do
	export FD_TRAVEL_CHROOT= FD_TRAVEL_LISTEN=0
	[ $mode = chroot ] && FD_TRAVEL_CHROOT=$WORK/jail
	[ $mode = listen ] && FD_TRAVEL_LISTEN=1
	master "$mode" 2 1 1
	unset FD_TRAVEL_CHROOT FD_TRAVEL_LISTEN
	a=$(curl_get "$P" /$mode-one)
	b=$(py_get "$P" /$mode-two)
	check "$mode: master exits" master_done "$mode"
	say "$mode replies: $a | $b"
	check "$mode: both replies came from the worker, inside TLS" \
		test "$(grep -Ec "^worker [0-9]+ got: GET /$mode-(one|two) HTTP/1.[01]$" <<<"$a
$b")" = 2
	check "$mode: the worker's control buffer got the one fd sent and nothing else" \
		served "$mode" 2
done

# MSG_CMSG_CLOEXEC: the socket that takes its placeholder's number is
# close-on-exec, as the kernel would have made the socket itself.
export FD_TRAVEL_CLOEXEC=1
master cloexec 1 1 1
unset FD_TRAVEL_CLOEXEC
a=$(curl_get "$P" /cloexec)
check "MSG_CMSG_CLOEXEC: master exits" master_done cloexec
check "MSG_CMSG_CLOEXEC: the reply came from the worker, inside TLS" \
	grep -Eq "^worker [0-9]+ got: GET /cloexec HTTP/1.1$" <<<"$a"
check "MSG_CMSG_CLOEXEC: the socket the worker got is close-on-exec" \
	grep -q '^worker fd cloexec=1$' "$WORK/cloexec.out"

# Users: a worker that runs as nobody, its master root; a master and its
# worker that both run as nobody (neither may read the other users'
# processes in /proc).
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	NP=$WORK/np
	mkdir -p "$NP"
	chmod 711 "$WORK"
	cp "$PKI/server.pem" "$PKI/server.key" "$PKI/ca.pem" "$WORK/fd_travel" "$NP/"
	sed "s|$PKI/|$NP/|g" "$WORK/p.ini" >"$NP/p.ini"
	chown -R nobody "$NP"
	chmod 700 "$NP"
	chmod 600 "$NP/p.ini" "$NP/server.key"
	export FD_TRAVEL_WORKER_UID="$(id -u nobody):$(id -g nobody)"
	export FD_TRAVEL_WORKER_CONFIG=$NP/p.ini
	master otheruser 2 1 1
	unset FD_TRAVEL_WORKER_UID FD_TRAVEL_WORKER_CONFIG
	a=$(curl_get "$P" /otheruser-one)
	b=$(py_get "$P" /otheruser-two)
	check "a worker of another user: master exits" master_done otheruser
	check "a worker of another user (nobody, its master root): both replies from it, inside TLS" \
		test "$(grep -Ec "^worker [0-9]+ got: GET /otheruser-(one|two) HTTP/1.[01]$" <<<"$a
$b")" = 2
	bg timeout 60 setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		env ATTLS_CONFIG="$NP/p.ini" LD_PRELOAD="$LIB" "$NP/fd_travel" "$P" 1 1 1 \
		>"$WORK/nobody.out" 2>"$WORK/nobody.err"
	MASTER=$BGPID
	wait_port "$P"
	a=$(curl_get "$P" /nobody)
	check "a master that is not root: exits" master_done nobody
	check "a master that is not root: the reply came from its worker, inside TLS" \
		grep -Eq "^worker [0-9]+ got: GET /nobody HTTP/1.1$" <<<"$a"
else
	say "skipped the masters and workers of other users: no setpriv or no user nobody"
fi

for mode in fresh read; do
	rf=0
	[ $mode = read ] && rf=1
	R=$(free_port)
	bg python3 "$PY/tls_wire.py" relay "$R" "$P" "$WORK/wire-$mode" --lifetime 40
	RELAY=$BGPID
	wait_port "$R"
	master "plain-$mode" 2 $rf 0
	a=$(curl_get "$R" /one)
	ra=$?
	b=$(py_get "$R" /two)
	check "no attls in the worker ($mode): master exits, having served both connections" \
		master_done "plain-$mode"
	sleep 0.5
	stop "$RELAY"
	say "plain-$mode clients: $a | $b"
	check "no attls in the worker ($mode): curl sees the connection end, no reply" \
		test "$ra" != 0 -a -z "$(grep worker <<<"$a")"
	check "no attls in the worker ($mode): the Python client gets no reply" \
		test -z "$(grep worker <<<"$b")"
	check "no attls in the worker ($mode): its clear-text write on the first fd (the carrier) fails (EPIPE)" \
		test "$(grep -c '^worker clear write: Broken pipe' "$WORK/plain-$mode.out")" = 2
	check "no attls in the worker ($mode): the second fd is an unconnected socket (EPIPE, ENOTCONN)" \
		test "$(grep -c '^worker second fd write: Broken pipe' "$WORK/plain-$mode.out")" = 2 -a \
		"$(grep -c '^worker second fd read: Transport endpoint is not connected' \
			"$WORK/plain-$mode.out")" = 2
	check "no attls in the worker ($mode): only TLS records reached the clients" \
		python3 "$PY/tls_wire.py" check "$WORK/wire-$mode.0" "$WORK/wire-$mode.1"
	check "no attls in the worker ($mode): no clear text reached the clients" \
		test -z "$(grep -l CLEAR-TEXT "$WORK/wire-$mode".*)"
	check "no attls in the worker ($mode): the master cannot know, and logs no error" \
		test ! -s "$WORK/plain-$mode.err"
	check "no attls in the worker ($mode): it got two fds for the one sent (the carrier first)" \
		test "$(grep -c '^worker ctl two: flags=0 controllen=24 fds=2$' "$WORK/plain-$mode.out")" = 2
done

finish

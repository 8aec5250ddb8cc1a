#!/usr/bin/env bash
# Where attls's lines go (README "Where are my errors"), each case in a
# private mount namespace: /dev over an overlay without the host's
# /dev/log, and an empty /run and /var/log. Debian's systemd-journald
# stores the failure with its ATTLS_MSGID; with journald's socket, native
# datagrams that carry ATTLS_MSGID; with /dev/log only, syslog lines; with no log
# socket, a handshake failure under the default trace setting on stderr,
# after one line that says why; with a log socket whose queue is full, the
# program does not wait for it and its errors go to stderr.
source "$(dirname "$0")/lib.sh"
PY=$TOP/tests/integration/py
make_pki
P=$(free_port)
# A clear-text HTTP server where the policy expects TLS: the handshake fails.
bg /usr/bin/python3 -m http.server -b 127.0.0.1 "$P" --directory "$WORK" >/dev/null 2>&1
wait_port "$P" || exit 1
client_policy() { # FILE TRACE ("" for the default)
	policy "$1" <<EOF2
[global]
${2:+trace = $2}
[keyring k]
ca = @PKI@/ca.pem
[traffic out]
direction = outbound
remote_port = $P
server_name = localhost
keyring = k
EOF2
}
client_policy "$WORK/default.ini" ""
client_policy "$WORK/events.ini" "error, event"
client_policy "$WORK/loud.ini" "error, info, event, flow"

# in_ns CASE SINK POLICY PROGRAM...: PROGRAM under attls in a mount namespace
# (its own /dev without /dev/log, /run and /var/log) where SINK listens:
# none; journald (Debian's systemd-journald; journalctl's verbose and short
# output of attls's entries in $WORK/CASE.log and .short); journal-read or
# syslog-read (dgram_sink.py on journald's socket or /dev/log, datagrams in
# $WORK/CASE.log); journal-stall or syslog-stall (a sink that does not
# read); syslog-read-stale (journald's socket file there, nobody behind
# it). PROGRAM's stdout, stderr and exit code in $WORK/CASE.{out,err,rc}.
in_ns() {
	local case=$1 sink=$2 pol=$3
	shift 3
	mkdir -p "$WORK/$case.up" "$WORK/$case.wk"
	timeout 60 unshare -m bash -c '
		set -e
		W=$1 C=$2 S=$3 PY=$4 POL=$5 LIB=$6
		shift 6
		mount -t overlay overlay -o "lowerdir=/dev,upperdir=$W/$C.up,workdir=$W/$C.wk" /dev
		rm -f /dev/log
		mount -t tmpfs tmpfs /run
		mount -t tmpfs tmpfs /var/log
		mkdir -p /run/systemd/journal
		if [ "$S" = syslog-read-stale ]; then
			/usr/bin/python3 -c "import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(sys.argv[1])" /run/systemd/journal/socket
		fi
		sink= path=
		case $S in
		journald)
			/lib/systemd/systemd-journald >"$W/$C.sink" 2>&1 &
			sink=$! path=/run/systemd/journal/socket ;;
		journal-*)
			path=/run/systemd/journal/socket ;;
		syslog-*)
			path=/dev/log ;;
		esac
		if [ -n "$path" ] && [ -z "$sink" ]; then
			mode=${S#*-}
			/usr/bin/python3 "$PY/dgram_sink.py" "$path" "$W/$C.log" "${mode%-*}" >"$W/$C.sink" &
			sink=$!
		fi
		for _ in $(seq 100); do [ -z "$path" ] || [ -S "$path" ] && break; sleep 0.05; done
		set +e
		timeout 20 env ATTLS_CONFIG="$POL" LD_PRELOAD="$LIB" "$@" >"$W/$C.out" 2>"$W/$C.err"
		echo $? >"$W/$C.rc"
		if [ "$S" = journald ]; then
			for _ in $(seq 50); do
				journalctl -D /run/log/journal/* --no-pager -o verbose \
					SYSLOG_IDENTIFIER=attls >"$W/$C.log" 2>&1
				grep -q ATTLS_MSGID=ATTLS022E "$W/$C.log" && break
				sleep 0.1
			done
			journalctl -D /run/log/journal/* --no-pager -o short \
				ATTLS_MSGID=ATTLS022E >"$W/$C.short" 2>&1
		fi
		if [ -n "$sink" ]; then
			sleep 0.3
			kill "$sink"
			wait "$sink"
		fi
		true' x "$WORK" "$case" "$sink" "$PY" "$pol" "$LIB" "$@"
}
# The client: N connections, each one's failure and pid on stdout.
cat >"$WORK/client.py" <<'EOF2'
import os, socket, sys
print("pid=%d" % os.getpid(), flush=True)
for _ in range(int(sys.argv[2])):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        s.recv(100)
        s.close()
    except OSError as e:
        print("failed:", e.strerror, flush=True)
EOF2

in_ns none none "$WORK/default.ini" /usr/bin/python3 "$WORK/client.py" "$P" 2
pid=$(sed -n 's/^pid=//p' "$WORK/none.out")
check "no log socket: the program's call failed ($(grep -m1 failed "$WORK/none.out"))" \
	grep -q "failed: Permission denied" "$WORK/none.out"
check "no log socket: the handshake failure is on stderr under the default trace" \
	grep -q "^attls\[$pid\]: ATTLS022E handshake failed conn=127.0.0.1:[0-9]*->127.0.0.1:$P" "$WORK/none.err"
check "no log socket: both failures, none dropped ($(grep -c ATTLS022E "$WORK/none.err"))" \
	[ "$(grep -c ATTLS022E "$WORK/none.err")" = 2 ]
check "no log socket: one line says why, once, before the first error" \
	bash -c "[ \"\$(grep -c ATTLS090W '$WORK/none.err')\" = 1 ] &&
		head -1 '$WORK/none.err' | grep -q '^attls\[$pid\]: ATTLS090W no log socket takes attls.s lines: errors go to stderr, other lines are not written: /dev/log: No such file or directory$'"

# A program with no error, with events asked and no log socket, and the
# children it execs: nothing of attls on their stderr (the events are
# dropped; ATTLS090W comes only with an error it explains).
in_ns quiet none "$WORK/events.ini" /bin/sh -c 'true; /bin/true; ls / >/dev/null; echo done'
check "no log socket, no error, trace = error, event: the program and its children ran ($(cat "$WORK/quiet.out"))" \
	grep -qx done "$WORK/quiet.out"
check "no log socket, no error: nothing of attls on stderr ($(wc -l <"$WORK/quiet.err") lines)" \
	[ ! -s "$WORK/quiet.err" ]

in_ns journal journal-read "$WORK/events.ini" /usr/bin/python3 "$WORK/client.py" "$P" 1
pid=$(sed -n 's/^pid=//p' "$WORK/journal.out")
# The datagram of the failure, one field a line.
awk -v RS= '/ATTLS_MSGID=ATTLS022E/' "$WORK/journal.log" >"$WORK/journal.022"
check "journald: the failure's datagram carries ATTLS_MSGID=ATTLS022E" \
	grep -qx "ATTLS_MSGID=ATTLS022E" "$WORK/journal.022"
check "journald: MESSAGE= is the line syslog would carry" \
	grep -qx "MESSAGE=ATTLS022E handshake failed conn=127.0.0.1:[0-9]*->127.0.0.1:$P .*" "$WORK/journal.022"
check "journald: PRIORITY=3 (err), SYSLOG_FACILITY=3 (daemon)" \
	bash -c "grep -qx PRIORITY=3 '$WORK/journal.022' && grep -qx SYSLOG_FACILITY=3 '$WORK/journal.022'"
check "journald: SYSLOG_IDENTIFIER=attls and SYSLOG_PID=$pid, as attls's syslog lines" \
	bash -c "grep -qx SYSLOG_IDENTIFIER=attls '$WORK/journal.022' && grep -qx SYSLOG_PID=$pid '$WORK/journal.022'"
check "journald: event lines too (ATTLS001I, ATTLS020I), with PRIORITY=6" \
	bash -c "awk -v RS= '/ATTLS_MSGID=ATTLS020I/' '$WORK/journal.log' | grep -qx PRIORITY=6 &&
		grep -qx ATTLS_MSGID=ATTLS001I '$WORK/journal.log'"
check "journald: every field a KEY=value line" \
	bash -c "! grep -v '^\$' '$WORK/journal.log' | grep -qvE '^[A-Z_]+='"
check "journald: nothing on stderr" [ ! -s "$WORK/journal.err" ]

in_ns syslog syslog-read "$WORK/default.ini" /usr/bin/python3 "$WORK/client.py" "$P" 1
pid=$(sed -n 's/^pid=//p' "$WORK/syslog.out")
check "no journald, /dev/log: a syslog line, ident attls[$pid], daemon.err" \
	grep -Eq "^<27>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]{8} attls\[$pid\]: ATTLS022E handshake failed" "$WORK/syslog.log"
check "no journald, /dev/log: nothing on stderr" [ ! -s "$WORK/syslog.err" ]
in_ns stale syslog-read-stale "$WORK/default.ini" /usr/bin/python3 "$WORK/client.py" "$P" 1
check "journald's socket with nobody behind it: syslog takes the line" \
	grep -q "attls\[[0-9]*\]: ATTLS022E handshake failed" "$WORK/stale.log"
check "journald's socket with nobody behind it: nothing on stderr" [ ! -s "$WORK/stale.err" ]

# Debian's own journald (systemd-journald, started in the namespace):
# journalctl finds the failure by its ATTLS_MSGID, under attls's identity.
in_ns journald journald "$WORK/default.ini" /usr/bin/python3 "$WORK/client.py" "$P" 1
pid=$(sed -n 's/^pid=//p' "$WORK/journald.out")
check "systemd-journald: journalctl ATTLS_MSGID=ATTLS022E finds it ($(tail -1 "$WORK/journald.short"))" \
	grep -q " attls\[$pid\]: ATTLS022E handshake failed conn=127.0.0.1:[0-9]*->127.0.0.1:$P" \
	"$WORK/journald.short"
# The verbose entry of the failure: from its header line to the next.
awk '/^[A-Z][a-z][a-z] [0-9]/ { n++ } { e[n] = e[n] $0 "\n" }
	END { for (i in e) if (e[i] ~ /ATTLS_MSGID=ATTLS022E/) printf "%s", e[i] }' \
	"$WORK/journald.log" >"$WORK/journald.022"
for f in "MESSAGE=ATTLS022E handshake failed conn=.*" PRIORITY=3 SYSLOG_FACILITY=3 \
	SYSLOG_IDENTIFIER=attls SYSLOG_PID=$pid _PID=$pid _TRANSPORT=journal; do
	check "systemd-journald: the entry has $f" grep -qx " *$f" "$WORK/journald.022"
done
check "systemd-journald: nothing on stderr" [ ! -s "$WORK/journald.err" ]

# A log daemon that does not read: its queue (net.unix.max_dgram_qlen)
# fills after a few lines. The program must not wait for it.
for s in syslog journal; do
	in_ns "$s-stall" "$s-stall" "$WORK/loud.ini" /usr/bin/python3 "$WORK/client.py" "$P" 20
	check "$s full: the program ran to its end (exit $(cat "$WORK/$s-stall.rc"))" \
		grep -qx 0 "$WORK/$s-stall.rc"
	logged=$(grep -c 'ATTLS022E handshake failed' "$WORK/$s-stall.log")
	errs=$(grep -c 'ATTLS022E handshake failed' "$WORK/$s-stall.err")
	check "$s full: every failure either in the log's queue ($logged) or on stderr ($errs)" \
		[ $((logged + errs)) = 20 -a "$errs" -gt 0 ]
	check "$s full: one line says why" \
		bash -c "[ \"\$(grep -c ATTLS090W '$WORK/$s-stall.err')\" = 1 ] &&
			grep -q 'ATTLS090W.*: its queue is full (the log daemon is not reading)' '$WORK/$s-stall.err'"
	check "$s full: no line other than errors on stderr" \
		bash -c "! grep -v -e ATTLS022E -e ATTLS090W '$WORK/$s-stall.err'"
done
finish

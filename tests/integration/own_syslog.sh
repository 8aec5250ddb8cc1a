#!/usr/bin/env bash
# attls writes its own syslog lines: a program that calls
# openlog("myprog", LOG_PID, LOG_LOCAL3) still gets attls's lines as
# attls[pid] with the policy's facility (local5 here), and its own lines
# keep its ident. Read on /dev/log where this machine runs no syslog.
source "$(dirname "$0")/lib.sh"
PY=$TOP/tests/integration/py
if [ -e /dev/log ] || ! touch /dev/.attls-probe 2>/dev/null; then
	say "skipped: /dev/log is the system's, or /dev is not writable"
	finish
	exit
fi
rm -f /dev/.attls-probe
make_pki
P=$(free_port)
policy "$WORK/p.ini" <<EOF2
[global]
trace = error, event
syslog_facility = local5
[keyring k]
ca = @PKI@/ca.pem
[traffic out]
direction = outbound
remote_port = $P
server_name = localhost
keyring = k
EOF2
bg python3 "$PY/syslog_sink.py" /dev/log "$WORK/syslog"
for _ in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
bg openssl s_server -accept "$P" -cert "$PKI/server.pem" -key "$PKI/server.key" -www -quiet
wait_port "$P" || exit 1
cat >"$WORK/prog.py" <<'EOF2'
import os, socket, ssl, sys, syslog
syslog.openlog("myprog", syslog.LOG_PID, syslog.LOG_LOCAL3)
syslog.syslog(syslog.LOG_INFO, "before")
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
while s.recv(4096):
    pass
s.close()
syslog.syslog(syslog.LOG_INFO, "after")
syslog.closelog()
print("pid=%d" % os.getpid())
EOF2
out=$(under "$WORK/p.ini" python3 "$WORK/prog.py" "$P" 2>"$WORK/err")
pid=${out#pid=}
sleep 0.5
# local5 = 21, info = 6: <174>; local3 = 19: <158>.
check "the program's connection worked over TLS ($out)" [ -n "$pid" ]
check "attls's handshake line: ident attls[$pid], facility local5" \
	grep -Eq "^<174>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]{8} attls\[$pid\]: ATTLS021I handshake done" "$WORK/syslog"
check "no attls line under the program's ident or facility" \
	bash -c "! grep -E '^<15[0-9]>.*ATTLS0|myprog.*ATTLS0' '$WORK/syslog'"
check "the program's own lines keep its ident and facility" \
	grep -Eq "^<158>.*myprog\[$pid\]: after" "$WORK/syslog"
check "attls's lines went to syslog, not to the program's stderr" bash -c "! grep -q ATTLS021I '$WORK/err'"
finish

#!/usr/bin/env bash
# A server that chroots into an empty directory after it listens (as
# postfix's smtpd and dovecot's imap-login do) serves TLS under attls:
# a session needs no file (its random numbers come from getrandom()). And
# when getrandom() is taken away (a seccomp filter, an old kernel), the
# refusal says so, not "out of memory".
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
make_pki
P=$(free_port)
server_policy "$WORK/p.ini" "$P"
mkdir -p "$WORK/jail"
cat >"$WORK/jailed.py" <<'PY'
import os, socket, sys
port, jail = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(8)
os.chroot(jail)
os.chdir("/")
print("jailed", flush=True)
for _ in range(3):
    c, _ = s.accept()
    data = c.recv(100)
    c.sendall(b"echo:" + data)
    c.close()
PY
bg env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" /usr/bin/python3 "$WORK/jailed.py" "$P" "$WORK/jail"
SERVER=$BGPID
wait_port "$P" || exit 1
check "the server is in its empty jail" [ "$(readlink "/proc/$SERVER/root")" = "$WORK/jail" ]
for i in 1 2 3; do
	out=$( (echo "hello $i"; sleep 1) | timeout 10 openssl s_client -quiet -verify_return_error \
		-connect "127.0.0.1:$P" -servername localhost -CAfile "$PKI/ca.pem" 2>/dev/null)
	check "chrooted server under attls, connection $i: the echo comes back over TLS" \
		grep -qx "echo:hello $i" <<<"$out"
done
stop "$SERVER"

RANDLIB=$TOP/build/librandfault.so
[ -f "$RANDLIB" ] || { fail "build/librandfault.so is missing (make integration builds it)"; finish; }
P=$(free_port)
server_policy "$WORK/p2.ini" "$P"
bg env ATTLS_CONFIG="$WORK/p2.ini" LD_PRELOAD="$LIB:$RANDLIB" RAND_FAULT_FILE=/norandom \
	/usr/bin/python3 "$WORK/jailed.py" "$P" "$WORK/jail" 2>"$WORK/srv.err"
SERVER=$BGPID
wait_port "$P" || exit 1
# The server is in its jail by now: /norandom is $WORK/jail/norandom there.
touch "$WORK/jail/norandom"
out=$( (echo "hello"; sleep 1) | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$P" \
	-CAfile "$PKI/ca.pem" 2>/dev/null)
say "got: $out"; check "without random numbers: no answer, nothing in clear" [ -z "$out" ]
stop "$SERVER"
check "without random numbers: the refusal says why" \
	grep -q "ATTLS013E.*no TLS session: no random numbers for it, getrandom() failed: Function not implemented" \
	"$WORK/srv.err" || cat "$WORK/srv.err"
finish

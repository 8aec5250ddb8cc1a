#!/usr/bin/env bash
# The fd lifecycle: close in one thread while another writes (no clear
# text on the wire), stale slots after fdopen+fclose and syscall(SYS_close),
# a failed dup2, sockets that arrive unseen (SCM_RIGHTS, exec) on a covered
# port, a TLS fd sent away, and MPTCP sockets.
source "$(dirname "$0")/lib.sh"
PY=$TOP/tests/integration/py
C=$TOP/tests/integration/c
make_pki
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -pthread -o "$WORK/fd_life" "$C/fd_life.c" || exit 1
T=$(free_port) U=$(free_port) N=$(free_port) A=$(free_port) M=$(free_port)
policy "$WORK/p.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 3s
[keyring k]
cert = @PKI@/client.pem
key = @PKI@/client.key
ca = @PKI@/ca.pem
[keyring web]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic tls]
direction = outbound
remote_port = $T, $U, $M
keyring = k
server_name = localhost
[traffic in]
direction = inbound
local_port = $A
keyring = web
EOF2
bg python3 "$PY/recorder.py" "$T" "$WORK/tls.rec" --tls "$PKI/server.pem" "$PKI/server.key" --lifetime 60
# A second TLS peer: the first is busy with the writer's records for a while.
bg python3 "$PY/recorder.py" "$U" "$WORK/tls2.rec" --tls "$PKI/server.pem" "$PKI/server.key" --lifetime 60
bg python3 "$PY/recorder.py" "$N" "$WORK/plain.rec" --lifetime 60
bg python3 "$PY/recorder.py" "$M" "$WORK/mptcp.rec" --lifetime 60
wait_port "$T" && wait_port "$U" && wait_port "$N" && wait_port "$M" || exit 1
touch "$WORK/tls.rec" "$WORK/tls2.rec" "$WORK/plain.rec" "$WORK/mptcp.rec"

# close in one thread while another writes: EBADF, never clear text.
under "$WORK/p.ini" "$WORK/fd_life" closewrite "$T" >"$WORK/cw.out" 2>"$WORK/cw.err"
rc=$?
say "$(cat "$WORK/cw.out")"
check "closewrite ran (rc=$rc)" [ "$rc" = 0 ]
check "the writes before the close went through TLS" grep -q "^ok wrote [1-9]" "$WORK/cw.out"
check "no write reached the peer in clear text while the close went on" \
	bash -c "! grep -q CLEAR-TEXT-MARKER '$WORK/tls.rec'"

# fdopen + fclose of a TLS socket, then a pipe on the same number.
out=$(under "$WORK/p.ini" "$WORK/fd_life" fclose "$U" 2>&1)
say "$out"
check "a pipe that takes the number of an fclose'd TLS socket works" grep -q "^ok a pipe" <<<"$out"

# syscall(SYS_close), then a clear socket on the same number.
out=$(under "$WORK/p.ini" "$WORK/fd_life" sysclose "$U" "$N" 2>&1)
say "$out"
check "a socket after syscall(SYS_close) is connected and writes" grep -q "^ok a socket" <<<"$out"
sleep 0.5
check "the plain peer got exactly its bytes" \
	bash -c "[ \"\$(cat '$WORK/plain.rec')\" = 'plain bytes after syscall(SYS_close)' ]"

# dup2 that fails leaves its target alone.
out=$(under "$WORK/p.ini" "$WORK/fd_life" dup2fail "$U" 2>&1)
say "$out"
check "a failed dup2 leaves the target TLS fd working" grep -q "^ok a failed dup2" <<<"$out"
check "and nothing went out in clear" bash -c "! grep -q after-dup2 '$WORK/tls2.rec'"

# A connection accepted on a covered port by a process without attls,
# handed to one under attls through SCM_RIGHTS, then across exec: attls
# classifies it as accepted (inbound) and starts TLS as the server.
timeout 60 python3 "$PY/fd_pass.py" parent "$A" env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" \
	python3 "$PY/fd_pass.py" child >"$WORK/pass.out" 2>"$WORK/pass.err"
say "$(tr '\n' ' ' <"$WORK/pass.out")"
# attls starts TLS on it as a server (its descriptor is inbound); the peer
# speaks no TLS, so the handshake fails and the write with it.
check "a covered socket received through SCM_RIGHTS gets TLS; its write fails (the peer speaks none)" \
	grep -qE "^recv: refused: (Connection timed out|Connection reset by peer)" "$WORK/pass.out"
check "a covered socket inherited across exec gets TLS; its write fails likewise" \
	grep -qE "^inherit: refused: (Connection timed out|Connection reset by peer)" "$WORK/pass.out"
check "the peer received no clear text" grep -q "^peer received b''" "$WORK/pass.out"
check "the failure says why, under the inbound rule" \
	grep -qE "ATTLS02[23]E.*job=python3.*rule=in" "$WORK/pass.err"

# A TLS fd sent through SCM_RIGHTS: its session goes with it (this
# process holds the other end, under attls), and the sender's copy writes
# no more; sent where nobody holds the other end, the sendmsg fails with
# EPIPE as it would without attls, and the session stays the sender's.
out=$(under "$WORK/p.ini" python3 "$PY/fd_pass.py" sendtls "$U" 2>&1)
say "$(tr '\n' ' ' <<<"$out")"
check "a TLS fd sent through SCM_RIGHTS: the sender's copy then writes EPIPE" \
	grep -q "^after: Broken pipe" <<<"$out"
out=$(under "$WORK/p.ini" python3 "$PY/fd_pass.py" sendtls "$U" gone 2>&1)
say "$(tr '\n' ' ' <<<"$out")"
check "a TLS fd sent where nobody holds the other end: sendmsg fails with EPIPE, as without attls" \
	grep -q "^sendmsg: Broken pipe" <<<"$out"
check "and the session stays the sender's: its next write goes" grep -q "^after: sent" <<<"$out"
sleep 0.5
check "... inside TLS: nothing of it went out in clear (the raw bytes recorded)" \
	bash -c "! grep -q after-handoff '$WORK/tls2.rec'"
# A memfd of the program's own named like attls's handoff, but not one:
# it reaches the receiver untouched, with the fd sent after it.
out=$(under "$WORK/p.ini" python3 "$PY/fd_pass.py" fakememfd 2>&1)
say "$out"
check "a memfd that only looks like a handoff is left to the program" \
	grep -q "^received 2 fds flags=0 first=/memfd:attls-handoff (deleted) bytes=b\"the program's own bytes\"" \
	<<<"$out"
# A unix SOCK_SEQPACKET socket of the program's own, sent first with a
# message waiting on it: not a carrier, it reaches the receiver untouched.
out=$(under "$WORK/p.ini" python3 "$PY/fd_pass.py" fakecarrier 2>&1)
say "$out"
check "a unix socket that only looks like a carrier is left to the program, its message unread" \
	grep -q "^received 2 fds flags=0 first=b\"ATTLS-CARRIER but the program's\"" <<<"$out"

# MPTCP: classified as TCP, so never clear text to a covered port.
if [ "$(cat /proc/sys/net/mptcp/enabled 2>/dev/null)" = 1 ] &&
	python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)' 2>/dev/null; then
	mptcp='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"MPTCP-SECRET")
    print("sent")
except OSError as e:
    print("refused:", e.strerror)
'
	out=$(under "$WORK/p.ini" python3 -c "$mptcp" "$M" 2>&1)
	say "$out"
	check "an MPTCP connect to a covered port (a clear-text peer) is refused" grep -q "^refused" <<<"$out"
	out=$(under "$WORK/nonexistent.ini" python3 -c "$mptcp" "$M" 2>&1)
	check "with no policy in force an MPTCP connect is refused" grep -q "^refused" <<<"$out"
	sleep 0.5
	check "no MPTCP byte reached the peer in clear text" bash -c "! grep -q MPTCP-SECRET '$WORK/mptcp.rec'"
else
	say "skipped: this kernel has no MPTCP"
fi
finish

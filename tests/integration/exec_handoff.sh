#!/usr/bin/env bash
# A live TLS session travels with its fd across exec (shim/exec.c,
# shim/inherit.c, lib/handoff.c):
#  1. socat under attls as a TLS server execs /bin/cat on each accepted
#     connection (EXEC:/bin/cat,nofork): openssl s_client, verifying, gets
#     its lines back, connection after connection, and the end of each
#     with close_notify;
#  2. a client under attls writes 64 KiB to a TLS echo peer (socat with
#     OpenSSL), reads one byte of the echo and execs itself: the new image
#     reads the other 65535 bytes (those attls had already read and
#     decrypted included) and writes more, blocking and non-blocking; the
#     program sees its own close-on-exec (FIOCLEX, FIONCLEX, F_GETFD) and
#     no ATTLS_HANDOFF variable; also through a shell (sh -c 'exec ...')
#     that passes the connection on without touching it, and into a #!
#     script that execs the program;
#  3. the new image's environment without LD_PRELOAD, or a static or
#     set-user-ID new image: its fd is cut (ATTLS042E), its reads and
#     writes fail, and a recorder between the client and the peer sees no
#     clear text;
#     the new image under another policy that does not cover the
#     connection: refused likewise (ATTLS013E);
#  4. an exec that fails (ENOENT): the session goes on in the old image;
#  5. the inetd pattern inside a server under attls: it accepts, forks,
#     the child dup2's the connection onto 0 and 1 and execs /bin/cat, the
#     parent closes its copy; with the handshake not yet begun (the parent
#     closes at once) and with a live session (the parent answered a line
#     first and closes once cat runs): the client's lines come back;
#  6. against openssl s_server (TLS 1.3 and 1.2, AES-GCM and
#     ChaCha20-Poly1305): a client reads a line, execs itself, and the new
#     image follows a KeyUpdate the peer sends then (TLS 1.3: 'K', which
#     asks for one back), reads the next line and writes one the peer
#     decrypts.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
make_pki
C="$(dirname "$0")/c"
PY="$(dirname "$0")/py"
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o "$WORK/exec_cont" "$C/exec_cont.c" || exit 1

# s_echo PORT LINE...: what openssl s_client, verifying, gets back for the lines (and its errors).
s_echo() {
	local port=$1
	shift
	(for l in "$@"; do echo "$l"; sleep 0.5; done; sleep 0.5) |
		timeout 10 openssl s_client -verify_return_error -connect "127.0.0.1:$port" \
			-servername localhost -CAfile "$PKI/ca.pem" 2>&1
}

# 1. socat execs cat on each connection.
P=$(free_port)
server_policy "$WORK/srv.ini" "$P"
bg env ATTLS_CONFIG="$WORK/srv.ini" LD_PRELOAD="$LIB" socat "TCP-LISTEN:$P,reuseaddr,fork" \
	EXEC:/bin/cat,nofork 2>"$WORK/socat.err"
SOCAT=$BGPID
wait_port "$P" || exit 1
for i in 1 2 3; do
	out=$(s_echo "$P" "line one $i" "line two $i")
	check "socat execs cat: s_client gets both lines back over TLS (connection $i)" \
		bash -c 'grep -qx "line one $1" <<<"$2" && grep -qx "line two $1" <<<"$2"' _ "$i" "$out"
	check "socat execs cat: the peer verified, and the end came with close_notify ($i)" \
		bash -c 'grep -q "Verify return code: 0 (ok)" <<<"$1" && ! grep -qi "error\|unexpected eof" <<<"$1"' _ "$out"
done
stop "$SOCAT"
check "socat execs cat: attls logged no error" bash -c "! grep -q ATTLS '$WORK/socat.err'"

# 2-4. One client, its connection across its own exec, through a recorder to a TLS echo peer.
B=$(free_port)
R=$(free_port)
bg socat "OPENSSL-LISTEN:$B,reuseaddr,fork,cert=$PKI/server.pem,key=$PKI/server.key,verify=0" PIPE
ECHO=$BGPID
wait_port "$B" || exit 1
: >"$WORK/rec"
bg python3 "$PY/rec_relay.py" "$R" "$B" "$WORK/rec" 60
RELAY=$BGPID
wait_port "$R" || exit 1
client_policy "$WORK/cli.ini" "$R"
client_policy "$WORK/other.ini" "$((R == 65535 ? R - 1 : R + 1))"
printf '#!/bin/sh\nexec "%s" - stage2 "$1" hand\n' "$WORK/exec_cont" >"$WORK/stage2.sh"
chmod +x "$WORK/stage2.sh"
for m in hand nbhand shhand script refuse uncovered enoent; do
	EXEC_CONT_SCRIPT="$WORK/stage2.sh" EXEC_CONT_OTHER="$WORK/other.ini" under "$WORK/cli.ini" "$WORK/exec_cont" "$R" "$m" \
		>"$WORK/$m.out" 2>"$WORK/$m.err"
	say "$m: $(tr '\n' ' ' <"$WORK/$m.out")"
done
check "the program sees its own close-on-exec on a TLS fd (FIOCLEX, FIONCLEX, F_GETFD)" \
	grep -q "FIOCLEX then F_GETFD=1, FIONCLEX then F_GETFD=0" "$WORK/hand.out"
for m in hand nbhand shhand script; do
	check "exec ($m): the new image reads the rest of the echo, what attls had read included, and goes on" \
		grep -q "^OK" "$WORK/$m.out"
	check "exec ($m): the new image sees the fd as the program left it, and no ATTLS_HANDOFF" \
		grep -q "fd_cloexec=0 env_clean=1" "$WORK/$m.out"
	check "exec ($m): no error logged" bash -c "! grep -q ATTLS '$WORK/$m.err'"
done
check "exec without LD_PRELOAD: the new image's read and write fail" \
	grep -q "refused read=-1 (Transport endpoint is not connected) write=-1" "$WORK/refuse.out"
check "exec without LD_PRELOAD: ATTLS042E names the fd, the program and why" \
	grep -q "ATTLS042E.*fd=3 program=/proc/self/exe: its environment does not preload attls" \
	"$WORK/refuse.err"
check "exec into a policy that does not cover the connection: its read and write fail" \
	grep -q "refused read=-1 (Connection reset by peer) write=-1 (Connection reset by peer)" \
	"$WORK/uncovered.out"
check "exec into a policy that does not cover the connection: ATTLS013E says so" \
	grep -q "ATTLS013E.*a TLS session came with it across exec.*covers it" "$WORK/uncovered.err"
# The new image a static program, then a set-user-ID one: attls is not loaded there.
gcc -static -std=c11 -D_GNU_SOURCE -O2 -o "$WORK/exec_cont_static" "$C/exec_cont.c" &&
	cp "$WORK/exec_cont" "$WORK/exec_cont_suid" && chmod u+s "$WORK/exec_cont_suid" || exit 1
for kind in static suid; do
	EXEC_CONT_PROG="$WORK/exec_cont_$kind" under "$WORK/cli.ini" "$WORK/exec_cont" "$R" elsewhere \
		>"$WORK/$kind.out" 2>"$WORK/$kind.err"
	say "$kind: $(tr '\n' ' ' <"$WORK/$kind.out")"
done
check "exec of a static program: the fd is cut (its read and write fail), ATTLS042E says why" \
	bash -c "grep -q 'refused read=-1 (Transport endpoint is not connected)' '$WORK/static.out' &&
		grep -q 'ATTLS042E.*statically linked' '$WORK/static.err'"
check "exec of a set-user-ID program: the fd is cut, ATTLS042E says why" \
	bash -c "grep -q 'refused read=-1 (Transport endpoint is not connected)' '$WORK/suid.out' &&
		grep -q 'ATTLS042E.*set-user-ID' '$WORK/suid.err'"
check "exec that fails (ENOENT): errno is the exec's, and the session goes on in the old image" \
	bash -c "grep -q 'exec failed: No such file or directory' '$WORK/enoent.out' &&
		grep -q '^OK enoent' '$WORK/enoent.out'"
check "exec that fails (ENOENT): nothing logged" bash -c "! grep -q ATTLS '$WORK/enoent.err'"
sleep 0.5
check "no clear text reached the recorder" bash -c "! grep -q 'SECRET-CLEAR-TEXT\|second line' '$WORK/rec'"
check "the recorder saw the connections (TLS records)" [ "$(stat -c %s "$WORK/rec")" -gt 200000 ]
stop "$RELAY"
stop "$ECHO"

# 5. fork + exec inside a server under attls.
for mode in fresh live; do
	P=$(free_port)
	server_policy "$WORK/fe.ini" "$P"
	bg env ATTLS_CONFIG="$WORK/fe.ini" LD_PRELOAD="$LIB" /usr/bin/python3 \
		"$PY/fork_exec_server.py" "$P" "$mode" /bin/cat 2>"$WORK/fe_$mode.err"
	FE=$BGPID
	wait_port "$P" || exit 1
	for i in 1 2; do
		if [ "$mode" = live ]; then
			out=$(s_echo "$P" "first $i" "second $i" "third $i")
			check "fork + exec ($mode): the parent answered, then cat echoes over the same session ($i)" \
				bash -c 'grep -qx "parent:first $1" <<<"$2" && grep -qx "second $1" <<<"$2" &&
					grep -qx "third $1" <<<"$2"' _ "$i" "$out"
		else
			out=$(s_echo "$P" "first $i" "second $i")
			check "fork + exec ($mode): cat echoes over TLS, the parent's close let go ($i)" \
				bash -c 'grep -qx "first $1" <<<"$2" && grep -qx "second $1" <<<"$2"' _ "$i" "$out"
		fi
		check "fork + exec ($mode): the end came with close_notify ($i)" \
			bash -c '! grep -qi "error\|unexpected eof" <<<"$1"' _ "$out"
	done
	stop "$FE"
	check "fork + exec ($mode): attls logged no error" bash -c "! grep -q ATTLS '$WORK/fe_$mode.err'"
done

# 7. Python's subprocess.Popen(stdin=conn, stdout=conn, close_fds=True)
# after a greeting: the child's close_range leaves attls's own fds (the
# fork pipe, the claim memfd), so the parent's close only lets go, and the
# program the child execs owns the connection: its line and the echo of
# the client's arrive, then close_notify at its exit. And a program that
# dups the handed-over fd onto another number before its first use (dash:
# `echo >&7` dups 7 onto 1 and puts 1 back): the numbers share the one
# session, and putting 1 back ends nothing.
PY_SHARE=$TOP/tests/integration/py/exec_share.py
for m in popen dupexec; do
	P=$(free_port)
	server_policy "$WORK/share.ini" "$P"
	bg timeout 20 env ATTLS_CONFIG="$WORK/share.ini" LD_PRELOAD="$LIB" \
		python3 "$PY_SHARE" "$m" "$P" >"$WORK/share_$m.out" 2>"$WORK/share_$m.err"
	S=$BGPID
	wait_port "$P" || exit 1
	(echo "hello $m"; sleep 1.5) | timeout 10 openssl s_client -verify_return_error \
		-connect "127.0.0.1:$P" -servername localhost -CAfile "$PKI/ca.pem" \
		>"$WORK/share_$m.cli" 2>&1
	timeout 10 tail --pid="$S" -f /dev/null
	say "$m: client got: $(grep -E '^(HELLO|CHILD|hello|FIRST|SECOND|THIRD)' "$WORK/share_$m.cli" | tr '\n' ' ')"
done
check "Popen(stdin=conn, stdout=conn, close_fds=True): the child's line and the echo arrive" \
	bash -c "grep -qx CHILD-OUTPUT '$WORK/share_popen.cli' && grep -qx 'hello popen' '$WORK/share_popen.cli'"
check "Popen: the child exits 0 (no EPIPE), attls logged no error" \
	bash -c "grep -qx 'child exit 0' '$WORK/share_popen.out' && ! grep -q ATTLS '$WORK/share_popen.err'"
check "dup2 then exec sh: FIRST, SECOND and THIRD arrive in one session" \
	bash -c "grep -qx FIRST '$WORK/share_dupexec.cli' && grep -qx SECOND '$WORK/share_dupexec.cli' &&
		grep -qx THIRD '$WORK/share_dupexec.cli' && ! grep -q ATTLS '$WORK/share_dupexec.err'"

# 6. openssl s_server as the peer, its input driven in time.
for cfg in "-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256|K" \
	"-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256|K" \
	"-tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384|" \
	"-tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305|"; do
	opts=${cfg%|*}
	ku=${cfg#*|}
	B=$(free_port)
	mkfifo "$WORK/in.$B"
	# The fifo is opened in the children: opening it here would wait for the other end.
	bg bash -c 'exec >"$2"; sleep 1.5; echo from-server-1; sleep 1.5; [ -z "$1" ] || echo "$1"
		sleep 0.5; echo from-server-2; sleep 3' _ "$ku" "$WORK/in.$B"
	FEED=$BGPID
	bg bash -c 'exec timeout 15 openssl s_server -accept "$1" -cert "$2" -key "$3" $4 \
		<"$5" >"$6" 2>&1' _ "$B" "$PKI/server.pem" "$PKI/server.key" "$opts" "$WORK/in.$B" \
		"$WORK/s.$B"
	SRV=$BGPID
	wait_port "$B" || exit 1
	client_policy "$WORK/ku.ini" "$B"
	out=$(under "$WORK/ku.ini" "$WORK/exec_cont" "$B" lines 2>&1)
	stop "$FEED"
	stop "$SRV"
	check "s_server $opts${ku:+, KeyUpdate after the exec}: the new image reads on and its line arrives" \
		bash -c 'grep -q "^OK lines" <<<"$1" && grep -qx "after-keyupdate" "$2" && grep -qx hello "$2"' \
		_ "$out" "$WORK/s.$B"
done
# A new image whose policy no longer loads (the file broken after the
# server started) refuses the session it was handed; cat's error message,
# which stdio writes to fd 2 inside libc where no hook sees it, must not
# reach the client in clear: the refused socket is shut.
P=$(free_port)
server_policy "$WORK/broken.ini" "$P"
bg env ATTLS_CONFIG="$WORK/broken.ini" LD_PRELOAD="$LIB" socat \
	TCP-LISTEN:"$P",bind=127.0.0.1,reuseaddr EXEC:/bin/cat,nofork,stderr 2>"$WORK/broken.err"
SRV=$BGPID
wait_port "$P" || exit 1
echo "garbage" >"$WORK/broken.ini"
(echo hi; sleep 1) | timeout 10 socat - TCP:127.0.0.1:"$P" >"$WORK/broken.wire" 2>/dev/null
stop "$SRV"
check "a session refused by a new image with no policy: nothing comes back in clear ($(wc -c <"$WORK/broken.wire") bytes)" \
	[ ! -s "$WORK/broken.wire" ]
finish

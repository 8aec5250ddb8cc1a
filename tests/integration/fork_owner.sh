#!/usr/bin/env bash
# One writer per TLS connection after fork (py/fork_owner.py under attls,
# Python's ssl as the client, through a relay that records what the
# server sends): after the server wrote a greeting it forks, and the
# parent and the child (itself, or a program it execs with the fd) both
# write. Whoever uses its copy first owns the connection; the other's
# writes fail (EPIPE) and ATTLS047E or ATTLS042E names the owner. The
# client decrypts every record to the end (a second writer's record would
# reuse the keystream of one the client already had, and fail its MAC:
# "bad record mac"), gets only the owner's lines, and with TLS 1.2 no
# explicit nonce repeats; nothing crosses in clear. The same for a session
# handed over across exec and not taken up yet when the new image (sh)
# forks a subshell: the first to use it owns it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
make_pki
PY=$TOP/tests/integration/py
S=$(free_port)
server_policy "$WORK/p.ini" "$S"

for v in 1.3 1.2; do
	for mode in noexec parentfirst childfirst pending; do
		S=$(free_port) R=$(free_port)
		server_policy "$WORK/p.ini" "$S"
		rm -f "$WORK/rec".*
		bg timeout 30 env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" \
			python3 "$PY/fork_owner.py" server "$S" "$mode" >"$WORK/s.out" 2>"$WORK/s.err"
		P=$BGPID
		wait_port "$S" || exit 1
		bg python3 "$PY/tls_wire.py" relay "$R" "$S" "$WORK/rec" --lifetime 20
		RELAY=$BGPID
		wait_port "$R" || exit 1
		timeout 20 python3 "$PY/fork_owner.py" client "$R" "$PKI/ca.pem" \
			$([ "$v" = 1.2 ] && echo 1.2) >"$WORK/c.out" 2>&1
		timeout 20 tail --pid="$P" -f /dev/null
		stop "$RELAY"
		t="TLS $v, $mode"
		say "$t: server: $(tr '\n' ' ' <"$WORK/s.out")"
		say "$t: client: $(tr '\n' ' ' <"$WORK/c.out")"
		check "$t: the client decrypts every record to the end" \
			grep -qx "end=close_notify" "$WORK/c.out"
		if [ "$mode" = childfirst ]; then
			check "$t: the child owns it: its lines arrive, the parent's do not" \
				bash -c "grep -q CHILD-SECRET-B '$WORK/c.out' && ! grep -q PARENT-SECRET '$WORK/c.out'"
			check "$t: the parent's writes fail (EPIPE), ATTLS047E names the owner" \
				bash -c "grep -q 'parent write 0 Broken pipe' '$WORK/s.out' &&
					grep -q 'ATTLS047E.*fd [0-9]*: process [0-9]* owns the connection' '$WORK/s.err'"
		elif [ "$mode" = pending ]; then
			check "$t: sh owns it: its lines arrive, the subshell's do not" \
				bash -c "grep -q PARENT-SECRET-2 '$WORK/c.out' && ! grep -q CHILD '$WORK/c.out'"
			check "$t: the subshell's write fails, ATTLS047E names the owner" \
				grep -q 'ATTLS047E.*fd 7: process [0-9]* owns the connection' "$WORK/s.err"
		else
			check "$t: the parent owns it: its lines arrive, the child's do not" \
				bash -c "grep -q PARENT-SECRET-2 '$WORK/c.out' && ! grep -q CHILD '$WORK/c.out'"
			check "$t: the child's writes fail (EPIPE)" \
				grep -q "child write Broken pipe" "$WORK/s.out"
		fi
		if [ "$mode" = parentfirst ]; then
			check "$t: the child's exec cuts its copy, ATTLS042E names the owner" \
				grep -q "ATTLS042E.*process [0-9]* owns it since a fork" "$WORK/s.err"
		fi
		check "$t: what the server sent is TLS records only" \
			python3 "$PY/tls_wire.py" check "$WORK/rec.0"
		check "$t: no secret crossed in clear" bash -c "! grep -aq SECRET '$WORK/rec.0'"
		if [ "$v" = 1.2 ]; then
			check "$t: no explicit nonce repeats" python3 "$PY/fork_owner.py" nonces "$WORK/rec.0"
		fi
	done
done
finish

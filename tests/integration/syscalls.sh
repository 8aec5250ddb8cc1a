#!/usr/bin/env bash
# The socket calls of event loops, one by one, from a clear-text python3
# program under attls against native TLS peers: sendfile, splice and
# copy_file_range with offsets; recvmsg, recvmmsg, sendmmsg and the read
# flags; writev coalescing; shutdown(SHUT_WR); non-blocking connect and
# SO_ERROR; backpressure; epoll edge-triggered and one-shot; threads.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
PY=$TOP/tests/integration/py
make_pki
syscall_peers "$WORK/p.ini" || exit 1
under "$WORK/p.ini" python3 "$PY/syscalls.py" "$E" "$H" "$R" "$B" "$WORK/records.log" "$WORK" \
	>"$WORK/out" 2>"$WORK/err"
rc=$?
while read -r word rest; do
	case $word in
	ok) pass "$rest" ;;
	FAIL) fail "$rest" ;;
	esac
done <"$WORK/out"
check "syscalls.py ran to its end (rc=$rc)" [ "$rc" -le 1 ]
check "the failed verification was logged" grep -q "ATTLS022E.*does not name \"localhost\" (server_name)" "$WORK/err"

# Calls at their edges, compared line by line with the same program
# against a clear-text echo (socat): MSG_TRUNC, and iovec counts out of range.
gcc -O1 -Wall -Werror -o "$WORK/edge_calls" "$TOP/tests/integration/c/edge_calls.c" || exit 1
PE=$(free_port)
bg socat "TCP-LISTEN:$PE,bind=127.0.0.1,reuseaddr,fork" EXEC:cat
wait_port "$PE" || exit 1
native=$(timeout 20 "$WORK/edge_calls" "$PE")
tls=$(under "$WORK/p.ini" "$WORK/edge_calls" "$E")
check "edge calls (MSG_TRUNC, iovec counts) give what they give natively" [ "$tls" = "$native" ]
[ "$tls" = "$native" ] || diff <(echo "$native") <(echo "$tls") >&2

# close() on a non-blocking socket returns at once; what was accepted still
# arrives, ending with close_notify, though the peer reads only later.
N=$(free_port)
server_policy "$WORK/n.ini" "$N"
bg env ATTLS_CONFIG="$WORK/n.ini" LD_PRELOAD="$LIB" python3 "$PY/nb_close_server.py" "$N" 3000000 \
	>"$WORK/nb.out"
NB=$BGPID
wait_port "$N" || exit 1
timeout 20 python3 "$PY/slow_reader.py" "$N" "$PKI/ca.pem" 1.5 >"$WORK/slow.out"
timeout 20 python3 "$PY/slow_reader.py" "$N" "$PKI/ca.pem" 0 >>"$WORK/slow.out"
timeout 10 tail --pid="$NB" -f /dev/null
say "$(tr '\n' ' ' <"$WORK/nb.out")"
check "close() of a non-blocking TLS socket took under 100 ms, twice" \
	[ "$(awk '/close took/ && $3 < 100' "$WORK/nb.out" | wc -l)" = 2 ]
sums_read=$(grep '^3000000 bytes .* close_notify$' "$WORK/slow.out" | awk '{print $3}')
say "read: $(tr "\n" " " <"$WORK/slow.out")"
sums_sent=$(awk '{print $5}' "$WORK/nb.out")
check "both slow readers got all 3000000 bytes intact, then close_notify" \
	[ "$(wc -l <<<"$sums_read")" = 2 -a "$sums_read" = "$sums_sent" ]
finish

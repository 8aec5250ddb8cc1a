#!/usr/bin/env bash
# The shim built with ThreadSanitizer (build/tsan/libattls.so, libtsan
# preloaded first) under the thread and fork tests: fork.sh (fork while a
# thread is blocked in a TLS write, system() and fork + exec with output
# queued, _Fork), the full-duplex program of data_contract.sh (one
# thread reads while another writes on one blocking TLS fd), and a TLS fd
# sent through SCM_RIGHTS while a second thread writes on it; reload.sh's
# policies swapped under threads that accept. Any report
# from ThreadSanitizer fails the test.
source "$(dirname "$0")/lib.sh"
TSAN_LIB=$TOP/build/tsan/libattls.so
[ -f "$TSAN_LIB" ] || { echo "build $TSAN_LIB first (make integration does)"; exit 1; }
# Thread leaks are the test programs' (a forked child exits with its
# parent's threads unjoined), not attls's.
export TSAN_OPTIONS="log_path=$WORK/tsan:second_deadlock_stack=1:report_thread_leaks=0"
PRELOAD="$(gcc -print-file-name=libtsan.so) $TSAN_LIB"
make_pki
C=$TOP/tests/integration/c
PEER="python3 $TOP/tests/integration/py/contract_peer.py"

# fork.sh, every check on the sanitized shim.
FORK_IO_PRELOAD="$PRELOAD" timeout 240 bash "$(dirname "$0")/fork.sh" >"$WORK/fork.out" 2>&1
check "fork.sh passes on the ThreadSanitizer shim ($(grep -c '^  ok' "$WORK/fork.out") checks)" \
	grep -q "all passed" "$WORK/fork.out"
grep FAIL "$WORK/fork.out" >&2

# Full duplex on one blocking fd, two rounds.
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -pthread -o "$WORK/duplex" "$C/duplex.c" || exit 1
OUT=$(free_port)
policy "$WORK/p.ini" <<EOF
[global]
trace = error-stderr, error
handshake_timeout = 5s
[keyring k]
ca = @PKI@/ca.pem
[traffic out]
direction = outbound
remote_port = $OUT
keyring = k
server_name = localhost
EOF
sum() { sha256sum <"$1" | cut -d' ' -f1; }
head -c 4194304 /dev/urandom >"$WORK/data"
head -c 4194304 /dev/urandom >"$WORK/data2"
ok=true
for round in 1 2; do
	bg $PEER duplex "$OUT" "$PKI/server.pem" "$PKI/server.key" "$WORK/data2" "$WORK/d.peer" \
		2>>"$WORK/peers.log" >"$WORK/d.out"
	D=$BGPID
	wait_port "$OUT" || exit 1
	out=$(timeout 60 env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$PRELOAD" "$WORK/duplex" "$OUT" \
		"$WORK/data" "$WORK/d.got")
	stop "$D"
	say "full duplex $round: ${out:-no answer in 60 s}; the peer: $(cat "$WORK/d.out")"
	if ! [ "$out" = 'wrote=4194304 read=4194304' ] ||
		! [ "$(sum "$WORK/d.got")" = "$(sum "$WORK/data2")" ] ||
		! [ "$(sum "$WORK/d.peer")" = "$(sum "$WORK/data")" ]; then
		ok=false
		break
	fi
done
check "full duplex on the ThreadSanitizer shim, twice: 4 MiB each way, intact (sha256)" $ok

# A session sent away through SCM_RIGHTS while a second thread writes on
# it (fd_travel.sh's race), fresh and after the master read.
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -pthread -o "$WORK/fd_travel" \
	"$C/fd_travel.c" || exit 1
T=$(free_port)
policy "$WORK/t.ini" <<EOF
[global]
trace = error-stderr, error
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic in]
direction = inbound
local_port = $T
keyring = k
EOF
: >"$WORK/race.client"
for rf in 0 1; do
	bg timeout 90 env FD_TRAVEL_RACE=1 ATTLS_CONFIG="$WORK/t.ini" LD_PRELOAD="$PRELOAD" \
		"$WORK/fd_travel" "$T" 2 $rf 1 >"$WORK/race.out" 2>&1
	wait_port "$T" || break
	for i in 1 2; do
		timeout 20 python3 "$TOP/tests/integration/py/tls_wire.py" rawclient "$T" \
			"$PKI/ca.pem" "/$i" 2>&1 | tail -n 1 >>"$WORK/race.client"
	done
	timeout 30 tail --pid="$BGPID" -f /dev/null
	stop "$BGPID"
done
say "race: $(tr '\n' '|' <"$WORK/race.client")"
check "a session sent away while a second thread writes, on the ThreadSanitizer shim (4 clients)" \
	test "$(grep -c 'RACE lines in order, worker reply last$' "$WORK/race.client")" = 4

# reload.sh: policies swapped while threads accept and end connections.
RELOAD_PRELOAD="$PRELOAD" timeout 300 bash "$(dirname "$0")/reload.sh" >"$WORK/reload.out" 2>&1
check "reload.sh passes on the ThreadSanitizer shim ($(grep -c '^  ok' "$WORK/reload.out") checks)" \
	grep -q "all passed" "$WORK/reload.out"
grep FAIL "$WORK/reload.out" >&2

if ls "$WORK"/tsan.* >/dev/null 2>&1; then
	head -60 "$WORK"/tsan.* >&2
	fail "ThreadSanitizer reported nothing"
else
	pass "ThreadSanitizer reported nothing"
fi
finish

#!/usr/bin/env bash
# The shim built with AddressSanitizer and UBSan under real programs: nginx
# with its native TLS clients, the socket-call checks of syscalls.py, a
# connection handed over across exec (c/exec_cont.c against socat's echo),
# and a session that travels with its fd through SCM_RIGHTS.
# Any report from a sanitizer fails the test.
source "$(dirname "$0")/lib.sh"
ASAN_LIB=$TOP/build/asan/libattls.so
[ -f "$ASAN_LIB" ] || { echo "build $ASAN_LIB first (make integration does)"; exit 1; }
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$WORK/sanitizer"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$WORK/sanitizer"
PRELOAD="$(gcc -print-file-name=libasan.so) $ASAN_LIB"
source "$(dirname "$0")/servers.sh"
PY=$TOP/tests/integration/py
make_pki
make_files

N=$(free_port)
server_policy "$WORK/n.ini" "$N"
start_nginx "$WORK/n.ini" "$N" 1 || exit 1
check_nginx "$N" "nginx on the sanitized shim"
stop "$NGINX_PID"

syscall_peers "$WORK/p.ini" || exit 1
timeout 120 env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$PRELOAD" python3 "$PY/syscalls.py" \
	"$E" "$H" "$R" "$B" "$WORK/records.log" "$WORK" >"$WORK/out" 2>"$WORK/err"
check "syscalls.py passes on the sanitized shim ($(grep -c '^ok' "$WORK/out") checks)" \
	bash -c "! grep -q FAIL '$WORK/out' && grep -q '^ok' '$WORK/out'"
grep FAIL "$WORK/out" >&2
# A policy path longer than an error line (512 bytes): refused cleanly,
# nothing written past the line. 520 bytes puts what would overflow in the
# red zone AddressSanitizer keeps after the buffer.
LONG=$WORK/$(printf 'd%.0s' {1..200})/$(printf 'e%.0s' {1..200})
LONG=$LONG/$(printf 'f%.0s' $(seq $((520 - ${#LONG} - 1 - 12))))
mkdir -p "$LONG"
timeout 30 env ATTLS_CONFIG="$LONG/missing.ini" LD_PRELOAD="$PRELOAD" \
	python3 -c 'import socket; s = socket.socket(); s.connect(("127.0.0.1", '"$N"'))' \
	>"$WORK/long.out" 2>&1
check "a $((${#LONG} + 12))-byte policy path: the policy is refused (connect refused), no overflow" \
	grep -q "ATTLS003E" "$WORK/long.out"
# A session across exec, on the sanitized shim in both images.
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o "$WORK/exec_cont" \
	"$TOP/tests/integration/c/exec_cont.c" || exit 1
X=$(free_port)
bg socat "OPENSSL-LISTEN:$X,reuseaddr,fork,cert=$PKI/server.pem,key=$PKI/server.key,verify=0" PIPE
XS=$BGPID
wait_port "$X" || exit 1
client_policy "$WORK/x.ini" "$X"
for m in hand nbhand enoent; do
	timeout 60 env ATTLS_CONFIG="$WORK/x.ini" LD_PRELOAD="$PRELOAD" "$WORK/exec_cont" "$X" "$m" \
		>"$WORK/x_$m.out" 2>&1
	check "exec ($m) on the sanitized shim: the connection goes on" grep -q "^OK $m" "$WORK/x_$m.out"
done
stop "$XS"
# A session that travels with its fd (fd_travel.sh's master and worker):
# as accepted, after the master read, and a sendmsg that fails.
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -pthread -o "$WORK/fd_travel" \
	"$TOP/tests/integration/c/fd_travel.c" || exit 1
T=$(free_port)
policy "$WORK/t.ini" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic in]
direction = inbound
local_port = $T
keyring = k
EOF2
for args in "2 0 1" "2 1 1" "2 1 1 1"; do
	bg timeout 60 env ATTLS_CONFIG="$WORK/t.ini" LD_PRELOAD="$PRELOAD" "$WORK/fd_travel" "$T" \
		$args >>"$WORK/travel.out" 2>&1
	wait_port "$T" || break
	for i in 1 2; do
		timeout 10 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$T/$i" >>"$WORK/travel.replies" 2>&1
	done
	timeout 20 tail --pid="$BGPID" -f /dev/null
	stop "$BGPID"
done
say "travel: $(tr '\n' '|' <"$WORK/travel.replies")"
check "a session that travels with its fd on the sanitized shim (6 replies inside TLS)" \
	test "$(grep -Ec '^(worker [0-9]+ got: GET /[12] HTTP/1.1$|master kept it)' "$WORK/travel.replies")" = 6
check "and no sanitizer report on its stderr" \
	bash -c "! grep -E 'runtime error|ERROR: AddressSanitizer' '$WORK/travel.out' >&2"
if ls "$WORK"/sanitizer.* >/dev/null 2>&1; then
	head -40 "$WORK"/sanitizer.* >&2
	fail "AddressSanitizer and UBSan reported nothing"
else
	pass "AddressSanitizer and UBSan reported nothing"
fi
finish

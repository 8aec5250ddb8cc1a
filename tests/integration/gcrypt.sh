#!/usr/bin/env bash
# attls leaves the program's libgcrypt alone: a program that sets up its own
# libgcrypt as GnuPG does (secure memory) or asks for FIPS mode sees the same
# state with attls (device = cpu, its private libgcrypt loaded) as without;
# also when it first makes TLS connections through attls, from several
# threads at once and from a forked child; also on the sanitized shim.
source "$(dirname "$0")/lib.sh"
make_pki
GS=$WORK/gcrypt_state
gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -o "$GS" \
	"$TOP/tests/integration/gcrypt_state.c" -lgcrypt || { echo "cannot build gcrypt_state"; exit 1; }

P1=$(free_port)
P2=$(free_port)
P3=$(free_port)
for p in "$P1" "$P2" "$P3"; do
	bg openssl s_server -quiet -www -accept "$p" -cert "$PKI/server.pem" -key "$PKI/server.key"
done
policy "$WORK/cpu.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 5s
[crypto]
device = cpu
[keyring k]
ca = @PKI@/ca.pem
[traffic web]
direction = outbound
remote_port = $P1, $P2, $P3
keyring = k
server_name = localhost
EOF2
wait_port "$P1" && wait_port "$P2" && wait_port "$P3" || exit 1
check "attls check: device cpu on libgcrypt" \
	bash -c "'$ATTLS' check '$WORK/cpu.ini' | grep -q '^crypto device: cpu: libgcrypt'"

timeout 30 "$GS" >"$WORK/plain.out" 2>"$WORK/plain.err"
timeout 30 "$GS" fips >"$WORK/plain-fips.out" 2>>"$WORK/plain.err"
say "without attls: $(tr '\n' ' ' <"$WORK/plain.out")"
check "without attls: secure memory is secure memory" grep -q "is_secure: 1" "$WORK/plain.out"

# same NAME OUT ERR REF [COPIES]: OUT is REF, line for line, and ERR shows
# COPIES copies (2: attls's private one beside the program's).
same() {
	if diff -u "$4" "$2" >&2; then pass "$1: libgcrypt's state as without attls"; else
		fail "$1: libgcrypt's state as without attls"; fi
	if [ "${5:-2}" = 2 ]; then
		check "$1: attls's private libgcrypt beside the program's" \
			grep -q "^libgcrypt copies: 2" "$3"
	else
		check "$1: attls's libgcrypt not loaded before a first session needs it" \
			grep -q "^libgcrypt copies: 1" "$3"
	fi
}

# No connection: the device is chosen at the first session (cryptodev.h).
under "$WORK/cpu.ini" "$GS" >"$WORK/a.out" 2>"$WORK/a.err"
same "under attls" "$WORK/a.out" "$WORK/a.err" "$WORK/plain.out" 1
under "$WORK/cpu.ini" "$GS" fips >"$WORK/b.out" 2>"$WORK/b.err"
same "under attls, FIPS mode asked for" "$WORK/b.out" "$WORK/b.err" "$WORK/plain-fips.out" 1

under "$WORK/cpu.ini" "$GS" connect "$P1" "$P2" "$P3" >"$WORK/c.out" 2>"$WORK/c.err"
rc=$?
same "TLS connections first" "$WORK/c.out" "$WORK/c.err" "$WORK/plain.out"
check "three threads at once and a forked child fetched over TLS (rc=$rc)" \
	bash -c "[ $rc = 0 ] && grep -q '^connections: ok' '$WORK/c.err' &&
		[ \$(grep -c '^reply [0-9]*: HTTP/1.0 200' '$WORK/c.err') = 4 ]"
grep -v "^libgcrypt copies" "$WORK/c.err" | grep -v "^reply\|^connections" >&2

ASAN_LIB=$TOP/build/asan/libattls.so
[ -f "$ASAN_LIB" ] || { fail "build $ASAN_LIB first (make integration does)"; finish; }
timeout 60 env ATTLS_CONFIG="$WORK/cpu.ini" \
	ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$WORK/sanitizer" \
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$WORK/sanitizer" \
	LD_PRELOAD="$(gcc -print-file-name=libasan.so) $ASAN_LIB" \
	"$GS" connect "$P1" "$P2" "$P3" >"$WORK/d.out" 2>"$WORK/d.err"
same "on the sanitized shim" "$WORK/d.out" "$WORK/d.err" "$WORK/plain.out"
check "on the sanitized shim: the fetches over TLS" grep -q '^connections: ok' "$WORK/d.err"
if ls "$WORK"/sanitizer.* >/dev/null 2>&1; then
	head -40 "$WORK"/sanitizer.* >&2
	fail "on the sanitized shim: AddressSanitizer and UBSan reported nothing"
else
	pass "on the sanitized shim: AddressSanitizer and UBSan reported nothing"
fi
finish

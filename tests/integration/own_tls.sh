#!/usr/bin/env bash
# The program keeps its own TLS library under attls: libattls.so exports
# only its hooks (no wolfSSL or OpenSSL name that could take the place of
# the program's own, nor an undefined one the program's could fill), and
# programs linked with OpenSSL or with Debian's libwolfssl make their own
# TLS connections to a port the policy does not cover, in the same process
# as clear-text connections attls makes TLS: before, between and after
# the program's wolfSSL_Init/wolfSSL_Cleanup (also one Cleanup too many),
# and with attls's connection still open when the program calls
# OPENSSL_cleanup() and ends.
# LIB=/path/to/libattls.so tests another build.
OWN_LIB=${LIB:-}
source "$(dirname "$0")/lib.sh"
LIB=${OWN_LIB:-$LIB}
# The sources of that build, for the hooks it may export.
SRC=$(cd "$(dirname "$LIB")/.." && pwd)
[ -e "$SRC/shim/hooks.h" ] || SRC=$TOP
C=$TOP/tests/integration/c
MULTIARCH=$(gcc -print-multiarch)
LIBDIR=/usr/lib/$MULTIARCH
say "library: $LIB"

# --- 1. What libattls.so exports and needs ---------------------------------
names() { nm -D "$@" | awk 'NF >= 2 {n = $NF; sub(/@.*/, "", n); print n}' | sort -u; }
names --defined-only "$LIB" >"$WORK/exported"
names --undefined-only "$LIB" >"$WORK/undefined"
# Every name a TLS library the program may bring exports.
for l in libwolfssl.so.35 libssl.so.3 libcrypto.so.3; do
	[ -e "$LIBDIR/$l" ] && names --defined-only "$LIBDIR/$l"
done | sort -u >"$WORK/tls_names"
check "the TLS libraries' exports were read ($(wc -l <"$WORK/tls_names") names)" \
	[ "$(wc -l <"$WORK/tls_names")" -gt 8000 ]
# And their families, for names none of those exports today.
TLS_RE='^(wolf|Wolf|WOLF|wc_|SSL_|SSLv|TLS_|TLSv|DTLS|X509|EVP_|BIO_|ERR_|OPENSSL|OpenSSL|OSSL_|d2i_|i2d_|PEM_|RAND_|CRYPTO_|ASN1_|BN_|EC_|ECDSA|ECDH|RSA_|DH_|DSA_|HMAC|MD5|SHA[0-9_]|AES_|DES_|OBJ_|PKCS|sk_|ENGINE_|sp_|mp_|fp_|Base64_|curve25519|ed25519|Embed|Bio(Send|Receive))'
tls_in() { { comm -12 "$1" "$WORK/tls_names"; grep -E "$TLS_RE" "$1"; } | sort -u | head -20 | tr '\n' ' '; }
bad=$(tls_in "$WORK/exported")
check "libattls.so exports no wolfSSL or OpenSSL name${bad:+ (it does: $bad)}" [ -z "$bad" ]
bad=$(tls_in "$WORK/undefined")
check "libattls.so leaves no wolfSSL or OpenSSL name for another object to define${bad:+ ($bad)}" [ -z "$bad" ]
bad=$(readelf -d "$LIB" | awk '/NEEDED/ && /libwolfssl|libssl|libcrypto/ {print $NF}' | tr '\n' ' ')
check "libattls.so needs no TLS library by name${bad:+ ($bad)}" [ -z "$bad" ]
# The allowed exports: what shim/ marks ATTLS_HOOK (the hooks; attls has no
# other public API).
grep -h '^ATTLS_HOOK' "$SRC"/shim/*.c | sed -E 's/\(.*//; s/.*[ *]//' | sort -u >"$WORK/hooks"
check "the hooks were read from $SRC/shim ($(wc -l <"$WORK/hooks") names)" [ "$(wc -l <"$WORK/hooks")" -gt 50 ]
bad=$(comm -23 "$WORK/exported" "$WORK/hooks" | head -20 | tr '\n' ' ')
check "libattls.so exports only its hooks ($(wc -l <"$WORK/exported") names)${bad:+ (and: $bad)}" [ -z "$bad" ]
bad=$(comm -13 "$WORK/exported" "$WORK/hooks" | tr '\n' ' ')
check "every hook is exported${bad:+ (not: $bad)}" [ -z "$bad" ]

# --- The peers and the programs --------------------------------------------
make_pki
CFLAGS_T=(-std=c11 -D_GNU_SOURCE -O1 -Wall -Wextra -Werror)
gcc "${CFLAGS_T[@]}" -o "$WORK/own_openssl" "$C/own_openssl.c" -lssl -lcrypto ||
	{ echo "cannot build own_openssl (libssl-dev)"; exit 1; }
gcc "${CFLAGS_T[@]}" -o "$WORK/own_wolfssl" "$C/own_wolfssl.c" -lwolfssl ||
	{ echo "cannot build own_wolfssl (libwolfssl-dev)"; exit 1; }
# A TLS-only line echo: logs "CONN got LINE" for every line, answers it
# unless it starts with "last", and "CONN eof=clean" at a close_notify.
cat >"$WORK/echo_peer.py" <<'EOF2'
import socket, ssl, sys, threading
cert, key, port, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
lock = threading.Lock()
def note(s):
    with lock, open(log, "a") as f:
        f.write(s + "\n")
def serve(c, i):
    try:
        s = ctx.wrap_socket(c, server_side=True, suppress_ragged_eofs=False)
    except (ssl.SSLError, OSError) as e:
        note(f"{i} handshake failed: {e}")
        c.close()
        return
    note(f"{i} tls {s.version()}")
    buf, how = b"", "clean"
    while True:
        try:
            d = s.recv(4096)
        except (ssl.SSLError, OSError) as e:
            how = f"unclean: {e}"
            break
        if not d:
            break
        buf += d
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            note(f"{i} got {line.decode(errors='replace')}")
            if not line.startswith(b"last"):
                s.sendall(line + b"\n")
    note(f"{i} eof={how}")
    s.close()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(16)
n = 0
while True:
    c, _ = ls.accept()
    c.settimeout(30)
    n += 1
    threading.Thread(target=serve, args=(c, n), daemon=True).start()
EOF2
OWN=$(free_port)
E=$(free_port)
bg openssl s_server -quiet -www -accept "$OWN" -cert "$PKI/server.pem" -key "$PKI/server.key"
bg python3 "$WORK/echo_peer.py" "$PKI/server.pem" "$PKI/server.key" "$E" "$WORK/peer.log"
wait_port "$OWN" && wait_port "$E" || exit 1
# The policy covers the echo port only: the program's own TLS port is not.
client_policy "$WORK/p.ini" "$E"

# peer_got LINE...: the echo peer got every LINE over TLS (within 5 s: the
# last line of a program that has ended may still be on its way).
peer_got() {
	local l i
	for l in "$@"; do
		for ((i = 0; i < 50; i++)); do
			grep -qs "^[0-9]* got $l\$" "$WORK/peer.log" && break
			sleep 0.1
		done
		[ "$i" -lt 50 ] || return 1
	done
}
# peer_clean LINE: the connection that carried LINE ended with close_notify.
peer_clean() {
	local c
	c=$(awk -v l="$1" '$2 == "got" && substr($0, index($0, "got ") + 4) == l {print $1; exit}' "$WORK/peer.log")
	[ -n "$c" ] && for _ in $(seq 50); do
		grep -q "^$c eof=clean\$" "$WORK/peer.log" && return 0
		sleep 0.1
	done
	return 1
}
# run NAME PROGRAM ARGS...: the program under attls; its output in $WORK/NAME.*
run() {
	local name=$1
	shift
	under "$WORK/p.ini" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	RC=$?
	sed "s/^/    $name: /" "$WORK/$name.out"
	grep -q . "$WORK/$name.err" && sed "s/^/    $name stderr: /" "$WORK/$name.err" | head -10
	return 0
}
quiet() { ! grep -q ATTLS "$WORK/$1.err"; }

# --- 2. An OpenSSL program keeps its own TLS --------------------------------
under "$WORK/p.ini" curl -sS -o "$WORK/curl.body" -w '%{http_code}' --cacert "$PKI/ca.pem" \
	"https://localhost:$OWN/" >"$WORK/curl.code" 2>"$WORK/curl.err"
check "curl under attls, to a port the policy does not cover, with its own TLS: $(cat "$WORK/curl.code")" \
	grep -qx 200 "$WORK/curl.code"
run ossl "$WORK/own_openssl" plain "$OWN" "$E" "$PKI/ca.pem"
check "OpenSSL program: exits 0 (rc=$RC)" [ "$RC" = 0 ]
check "OpenSSL program: SSL_new is libssl.so.3's" grep -q "^own: SSL_new in .*/libssl\.so\.3, OpenSSL 3" "$WORK/ossl.out"
check "OpenSSL program: its own TLS connection got its reply" grep -q "^ok own OpenSSL: TLSv1.3 .*HTTP/1.0 200" "$WORK/ossl.out"
check "OpenSSL program: its clear-text connection reached the peer over TLS, before and after" \
	peer_got "plain A1" "plain A2"
check "OpenSSL program: that connection ended with close_notify" peer_clean "plain A2"
check "OpenSSL program: no attls error" quiet ossl

# --- 3. A program linked with Debian's libwolfssl keeps its own TLS ----------
for order in own-first attls-first; do
	run "$order" "$WORK/own_wolfssl" "$order" "$OWN" "$E" "$PKI/ca.pem"
	check "wolfSSL program, $order: exits 0 (rc=$RC)" [ "$RC" = 0 ]
	check "wolfSSL program, $order: wolfSSL_new is libwolfssl.so.35's" \
		grep -q "^own: wolfSSL_new in .*/libwolfssl\.so\.35, wolfSSL 5\." "$WORK/$order.out"
	check "wolfSSL program, $order: its own TLS connection got its reply, then wolfSSL_Cleanup" \
		bash -c "grep -q '^ok own wolfSSL: TLSv1.3 .*HTTP/1.0 200' '$WORK/$order.out' &&
			grep -q '^ok own wolfSSL cleaned up' '$WORK/$order.out'"
	check "wolfSSL program, $order: no attls error" quiet "$order"
done
check "wolfSSL program, own-first: after wolfSSL_Cleanup, attls's connection reached the peer over TLS" \
	peer_got "own-first A1"
check "wolfSSL program, own-first: and ended with close_notify" peer_clean "own-first A1"
check "wolfSSL program, attls-first: attls's connection before the program's wolfSSL_Init" \
	peer_got "attls-first A1"
check "wolfSSL program, attls-first: the same connection after the program's wolfSSL_Cleanup" \
	peer_got "attls-first A2"
check "wolfSSL program, attls-first: a new attls connection after wolfSSL_Cleanup" \
	peer_got "attls-first B1"
check "wolfSSL program, attls-first: the connection open at exit: its last line" \
	peer_got "last attls-first"
check "wolfSSL program, attls-first: then close_notify" peer_clean "last attls-first"
# One wolfSSL_Cleanup more than wolfSSL_Init in the program: with attls on
# the same libwolfssl.so.35 as the program, that ended the library under
# attls (its next connection refused: "no TLS session: out of memory").
run extra-cleanup "$WORK/own_wolfssl" extra-cleanup "$OWN" "$E" "$PKI/ca.pem"
check "wolfSSL program, extra-cleanup: exits 0 (rc=$RC)" [ "$RC" = 0 ]
check "wolfSSL program, extra-cleanup: its own TLS, then one wolfSSL_Cleanup more than wolfSSL_Init" \
	grep -q '^ok one more wolfSSL_Cleanup' "$WORK/extra-cleanup.out"
check "wolfSSL program, extra-cleanup: attls's open connection and a new one still work" \
	peer_got "extra-cleanup A1" "extra-cleanup A2" "extra-cleanup B1"
check "wolfSSL program, extra-cleanup: no attls error" quiet extra-cleanup

# --- 4. OPENSSL_cleanup() with an attls connection open, then the exit ------
run cleanup "$WORK/own_openssl" cleanup-exit "$OWN" "$E" "$PKI/ca.pem"
check "OpenSSL program, cleanup-exit: exits 0 (rc=$RC)" [ "$RC" = 0 ]
check "OpenSSL program, cleanup-exit: its own TLS, then OPENSSL_cleanup()" \
	bash -c "grep -q '^ok own OpenSSL: TLSv1.3 .*HTTP/1.0 200' '$WORK/cleanup.out' &&
		grep -q '^ok OPENSSL_cleanup done' '$WORK/cleanup.out'"
check "OpenSSL program, cleanup-exit: attls's connections before and after its own TLS" \
	peer_got "cleanup-exit A1" "cleanup-exit A2" "cleanup-exit B1"
check "OpenSSL program, cleanup-exit: the connection open at OPENSSL_cleanup() and exit: its last line" \
	peer_got "last cleanup-exit"
check "OpenSSL program, cleanup-exit: then close_notify" peer_clean "last cleanup-exit"
check "OpenSSL program, cleanup-exit: no attls error" quiet cleanup
check "the echo peer saw no failed handshake" bash -c "! grep -q 'handshake failed' '$WORK/peer.log'"
finish

#!/usr/bin/env bash
# The wolfSSL inside: the revision built in is the newest Debian publishes,
# attls --version names it, make says so when Debian has a newer one, and
# the build has what attls's job needs (assembly, getrandom, no old TLS).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
W=$TOP/build/wolfssl
built=$(cat "$W/VERSION")
say "built in: $built"

check "attls --version names the wolfSSL and its Debian revision" \
	grep -qx "wolfSSL [0-9.]* (Debian $built), built in" <<<"$("$TOP/build/attls" --version)"

# A copy of the private apt state, with lists made fresh, so that --check
# reads them without going to the network.
mkdir -p "$WORK/w"
cp -a "$W/apt" "$WORK/w/apt"
touch "$WORK/w/apt/checked"
newest=$(apt-cache -o "Dir::Etc::SourceList=$WORK/w/apt/sources.list" \
	-o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$WORK/w/apt/lists" \
	-o "Dir::Cache=$WORK/w/apt/cache" -o Dir::State::status=/dev/null showsrc wolfssl |
	awk '/^Version:/ { print $2 }' | sort -V | tail -1)
say "newest Debian publishes (as of the last check): $newest"
check "the revision built in is the newest in the private lists" [ "$built" = "$newest" ]
check "the private sources list holds deb-src lines only" \
	bash -c "! grep -qv '^deb-src ' '$W/apt/sources.list'"
check "the machine's apt configuration names no private entry" \
	bash -c "! grep -rqs 'build/wolfssl' /etc/apt"

echo "$newest" >"$WORK/w/VERSION"
out=$("$TOP/wolfssl/build" "$WORK/w" --check 2>&1)
check "no word when the newest revision is built in" [ -z "$out" ]
echo "5.5.4-1" >"$WORK/w/VERSION"
out=$("$TOP/wolfssl/build" "$WORK/w" --check 2>&1)
say "$out"
check "make says so when Debian publishes a newer revision" \
	grep -q "Debian publishes wolfssl $newest; attls is built with 5.5.4-1: run 'make wolfssl-update'" \
	<<<"$out"

# Offline: one look a day, said once, and make goes on.
if unshare -n true 2>/dev/null; then
	echo "$newest" >"$WORK/w/VERSION"
	touch -d '2 days ago' "$WORK/w/apt/checked"
	out=$(timeout 120 unshare -n "$TOP/wolfssl/build" "$WORK/w" --check 2>&1)
	rc=$?
	say "offline: $out"
	check "offline: make goes on (exit 0) and says it could not look" \
		bash -c "[ $rc = 0 ] && grep -q 'cannot reach Debian to look for a newer wolfssl' <<<'$out'"
	start=$(date +%s)
	out=$(timeout 120 unshare -n "$TOP/wolfssl/build" "$WORK/w" --check 2>&1)
	check "offline: the next make does not try again the same day (silent, $(( $(date +%s) - start )) s)" \
		[ -z "$out" ]
else
	say "unshare -n is not allowed here: the offline case is not checked"
fi

# Debian's patches applied: dpkg-source records them in .pc/applied-patches.
tree=$(find "$W/src" -mindepth 1 -maxdepth 1 -type d -name 'wolfssl-*' | head -1)
check "Debian's patches are applied" \
	diff -q <(grep -v '^#' "$tree/debian/patches/series" | sed '/^$/d') "$tree/.pc/applied-patches"

for p in "$TOP"/wolfssl/patches/*.patch; do
	check "attls's $(basename "$p") is applied" \
		patch -p1 -R --dry-run -s -f -d "$tree" -i "$p"
done

opts=$W/inst/include/wolfssl/options.h
check "a ClientHello may offer 512 suites (WOLFSSL_MAX_SUITE_SZ 1024)" \
	grep -q "^#define WOLFSSL_MAX_SUITE_SZ 1024\$" "$opts"
check "no renegotiation (HAVE_SECURE_RENEGOTIATION unset), the indication kept" \
	bash -c "! grep -q '^#define HAVE_SECURE_RENEGOTIATION\$' '$opts' &&
		grep -q '^#define HAVE_SERVER_RENEGOTIATION_INFO\$' '$opts'"
for d in WOLFSSL_AESNI USE_INTEL_SPEEDUP WOLFSSL_SP_X86_64_ASM NO_OLD_TLS WOLFSSL_TLS13 \
	WOLF_CRYPTO_CB HAVE_PKCS11; do
	check "built with $d" grep -q "^#define $d\$" "$opts"
done
# No socket code of wolfSSL's own (WOLFSSL_USER_IO): its calls would land
# in attls's hooks.
net=$(nm -u "$W/inst/lib/libwolfssl.a" 2>/dev/null | awk '{print $2}' | sort -u |
	grep -xE 'socket|connect|accept4?|bind|listen|recv(from|msg)?|send(to|msg)?|setsockopt|getaddrinfo|gethostbyname|select|poll' |
	tr '\n' ' ')
check "wolfSSL calls no socket function (${net:-none})" [ -z "$net" ]
check "built with Debian's hardening (stack protector, fortify)" \
	grep -q -- "-fstack-protector-strong.*\|-D_FORTIFY_SOURCE=2" "$W/build.log"

# A session opens no file: seeds come from getrandom(2).
make_pki
P=$(free_port)
server_policy "$WORK/p.ini" "$P"
bg env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" strace -f -e trace=%file,getrandom \
	-o "$WORK/strace" socat "TCP-LISTEN:$P,reuseaddr,fork" SYSTEM:cat
SERVER=$BGPID
wait_port "$P" || exit 1
ok=0
for i in 1 2 3; do
	(echo hi; sleep 0.5) | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$P" \
		-CAfile "$PKI/ca.pem" 2>/dev/null | grep -qx hi && ok=$((ok + 1))
done
check "three TLS connections to socat under attls echo ($ok)" [ $ok = 3 ]
# Stopping strace would leave socat running: socat is stopped by its pid.
stop "$(pgrep -P "$SERVER" socat)"
stop "$SERVER"
check "no /dev/urandom or /dev/random opened" \
	bash -c "! grep -q 'dev/u\\?random' '$WORK/strace'"
check "getrandom() seeds them" grep -q getrandom "$WORK/strace"
finish

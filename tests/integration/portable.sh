#!/usr/bin/env bash
# The portable fallback: wolfSSL's Intel assembly (AES-NI, AVX, BMI2/ADX
# for ECC) is chosen by CPUID at run time. attls runs under qemu-user on
# emulated processors without it: qemu64 (no AES-NI, AVX or BMI2) and one
# with AVX2 and BMI2 but no AES-NI (wolfSSL 5.5.4 on its own would run
# its AVX AES-GCM code there and die of SIGILL; qemu enforces CPUID, so an
# instruction the processor lacks is SIGILL here too). On each: what
# device = auto chooses and why, a real handshake with openssl s_server on
# the host, and a 2 MiB transfer over AES-GCM, on wolfSSL's own code (auto)
# and on libgcrypt (cpu), checked byte for byte.
source "$(dirname "$0")/lib.sh"
if ! command -v qemu-x86_64 >/dev/null && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq qemu-user >/dev/null 2>&1
fi
if ! command -v qemu-x86_64 >/dev/null; then
	say "skipped: qemu-x86_64 (Debian package qemu-user) is not installed and cannot be"
	finish
	exit
fi
make_pki

# The emulated processors: what CPUID says on each.
cat >"$WORK/cpuid.c" <<'EOF2'
#include <cpuid.h>
#include <stdio.h>
int main(void)
{
	unsigned a, b, c, d, b7 = 0;

	__cpuid(1, a, b, c, d);
	if (__get_cpuid_max(0, NULL) >= 7) {
		unsigned a7, c7, d7;
		__cpuid_count(7, 0, a7, b7, c7, d7);
	}
	printf("aes=%u pclmul=%u avx=%u avx2=%u bmi2=%u adx=%u\n", c >> 25 & 1, c >> 1 & 1,
	       c >> 28 & 1, b7 >> 5 & 1, b7 >> 8 & 1, b7 >> 19 & 1);
	return 0;
}
EOF2
gcc -O2 -o "$WORK/cpuid" "$WORK/cpuid.c" || { fail "cannot build cpuid"; finish; }
NONE="qemu64"
AVX_ONLY="max,-aes,-vaes"
ids=$(timeout 30 qemu-x86_64 -cpu "$NONE" "$WORK/cpuid")
check "-cpu $NONE has no AES-NI, AVX, AVX2, BMI2 or ADX: $ids" \
	grep -qx "aes=0 pclmul=0 avx=0 avx2=0 bmi2=0 adx=0" <<<"$ids"
ids=$(timeout 30 qemu-x86_64 -cpu "$AVX_ONLY" "$WORK/cpuid")
check "-cpu $AVX_ONLY has AVX2 and BMI2 but no AES-NI: $ids" \
	grep -q "^aes=0 .*avx=1 avx2=1 bmi2=1" <<<"$ids"

head -c 2097152 /dev/urandom >"$WORK/blob"
P=$(free_port)
(cd "$WORK" && exec openssl s_server -quiet -WWW -accept "$P" -cert "$PKI/server.pem" \
	-key "$PKI/server.key" -ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384 \
	-cipher ECDHE-ECDSA-AES128-GCM-SHA256 >/dev/null 2>&1) &
PIDS+=("$!")
wait_port "$P" || { fail "openssl s_server did not listen"; finish; }

# gcm_policy FILE DEVICE PROTOCOL CIPHERS: a client rule to $P, AES-GCM only.
gcm_policy() {
	policy "$1" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 20s
[crypto]
device = $2
[keyring k]
ca = @PKI@/ca.pem
[security gcm]
protocols = $3
ciphers = $4
[traffic out]
direction = outbound
remote_port = $P
server_name = localhost
keyring = k
security = gcm
EOF2
}
gcm_policy "$WORK/auto13.ini" auto TLSv1.3 TLS13-AES128-GCM-SHA256
gcm_policy "$WORK/auto12.ini" auto TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256
gcm_policy "$WORK/cpu13.ini" cpu TLSv1.3 TLS13-AES256-GCM-SHA384

# fetch CPU POLICY NAME: curl under qemu, attls making its request TLS.
fetch() {
	rm -f "$WORK/got"
	timeout 60 qemu-x86_64 -cpu "$1" -E "ATTLS_CONFIG=$2" -E "LD_PRELOAD=$LIB" \
		/usr/bin/curl -sS --max-time 50 -o "$WORK/got" "http://127.0.0.1:$P/blob" \
		2>"$WORK/curl.err"
	local rc=$?
	if [ $rc = 0 ] && cmp -s "$WORK/blob" "$WORK/got"; then
		pass "$3: handshake and 2 MiB over AES-GCM, byte for byte"
	else
		fail "$3: handshake and 2 MiB over AES-GCM (curl rc=$rc, $(stat -c %s "$WORK/got" 2>/dev/null || echo no) bytes)"
		head -5 "$WORK/curl.err" >&2
	fi
}

for cpu in "$NONE" "$AVX_ONLY"; do
	out=$(timeout 60 qemu-x86_64 -cpu "$cpu" "$ATTLS" check "$WORK/auto13.ini" 2>&1)
	check "-cpu $cpu: auto picks wolfSSL's own code and says why: $(tail -1 <<<"$out")" \
		grep -qx "crypto device: software: no AES instructions" <<<"$out"
	fetch "$cpu" "$WORK/auto13.ini" "-cpu $cpu, auto, TLS 1.3 AES-128-GCM"
done
fetch "$NONE" "$WORK/auto12.ini" "-cpu $NONE, auto, TLS 1.2 ECDHE-ECDSA-AES128-GCM"
out=$(timeout 60 qemu-x86_64 -cpu "$NONE" "$ATTLS" check "$WORK/cpu13.ini" 2>&1)
check "-cpu $NONE: device = cpu runs libgcrypt without AES instructions: $(tail -1 <<<"$out")" \
	grep -qx "crypto device: cpu: libgcrypt [0-9.]*, no AES instructions (chosen by the policy)" <<<"$out"
fetch "$NONE" "$WORK/cpu13.ini" "-cpu $NONE, cpu (libgcrypt), TLS 1.3 AES-256-GCM"

# The same binary on this machine's processor still takes the assembly.
if grep -qw aes /proc/cpuinfo; then
	out=$("$ATTLS" check "$WORK/auto13.ini" 2>&1)
	check "this processor: auto measured wolfSSL's AES-NI code against libgcrypt: $(tail -1 <<<"$out")" \
		grep -q "wolfSSL AES-NI.* GB/s" <<<"$out"
fi

# wolfSSL's AES-GCM against the GCM vectors, on both emulated processors.
if [ -x "$TOP/build/unit_tests" ]; then
	for cpu in "$NONE" "$AVX_ONLY"; do
		(cd "$TOP/tests/unit" && CK_RUN_SUITE=cryptodev ATTLS_UNIT_QUICK=1 CK_DEFAULT_TIMEOUT=120 \
			timeout 120 qemu-x86_64 -cpu "$cpu" ../../build/unit_tests >"$WORK/unit.out" 2>&1)
		check "-cpu $cpu: the cryptodev unit tests pass ($(tail -1 "$WORK/unit.out"))" \
			grep -q "^100%: Checks: [0-9]*, Failures: 0, Errors: 0" "$WORK/unit.out"
	done
else
	say "build/unit_tests not built: the unit tests under qemu were not run"
fi
finish

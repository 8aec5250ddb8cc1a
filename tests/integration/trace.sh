#!/usr/bin/env bash
# What an operator reads: the crypto device in attls check, and syslog's
# event messages for each handshake (device, resumption). syslog is read
# where this machine runs none: the test listens on /dev/log itself.
source "$(dirname "$0")/lib.sh"
PY=$TOP/tests/integration/py
make_pki
P=$(free_port)
Q=$(free_port)
device_policy() { # FILE DEVICE PORT
	policy "$1" <<EOF2
[global]
trace = error-stderr, error, event, info
[crypto]
device = $2
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic in]
direction = inbound
local_port = $3
keyring = k
EOF2
}
device_policy "$WORK/cpu.ini" cpu "$P"
device_policy "$WORK/sw.ini" software "$Q"
device_policy "$WORK/auto.ini" auto "$Q"
out=$("$ATTLS" check "$WORK/cpu.ini")
check "attls check names the cpu device: $(tail -1 <<<"$out")" \
	grep -q "^crypto device: cpu: libgcrypt [0-9.]*, " <<<"$out"
out=$("$ATTLS" check "$WORK/sw.ini")
check "attls check names software when the policy asks: $(tail -1 <<<"$out")" \
	grep -q "^crypto device: software: chosen by the policy" <<<"$out"
out=$("$ATTLS" check "$WORK/auto.ini")
# Where wolfSSL has AES-NI, auto measures both and names the figures;
# elsewhere libgcrypt where it has AES instructions, else software.
check "auto says what it picked and why: $(tail -1 <<<"$out")" \
	grep -Eq "^crypto device: ((cpu: libgcrypt|software: wolfSSL AES-NI).* GB/s.* GB/s \(AES-GCM, 16 KiB/1 KiB records\)|cpu: libgcrypt .*(armv8-aes|cpacf|ppc-vcrypto); wolfSSL has no AES assembly|software: no AES instructions)" <<<"$out"

if [ -e /dev/log ] || ! touch /dev/.attls-probe 2>/dev/null; then
	say "skipped the syslog checks: /dev/log is the system's, or /dev is not writable"
	finish
	exit
fi
rm -f /dev/.attls-probe
bg python3 "$PY/syslog_sink.py" /dev/log "$WORK/syslog"
for _ in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
mkdir -p "$WORK/www"
echo hi >"$WORK/www/index.html"
serve_dir "$WORK/cpu.ini" "$WORK/www" "$P" "$WORK/cpu.log" || exit 1
serve_dir "$WORK/sw.ini" "$WORK/www" "$Q" "$WORK/sw.log" || exit 1
(printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$P" \
	-sess_out "$WORK/sess" >/dev/null 2>&1
(printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$P" \
	-sess_in "$WORK/sess" >/dev/null 2>&1
(printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$P" \
	-ciphersuites TLS_CHACHA20_POLY1305_SHA256 >/dev/null 2>&1
(printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$Q" \
	>/dev/null 2>&1
# A server whose certificate subject carries terminal escapes and a bell.
EVIL=$(free_port) ODD=$(free_port)
(
	cd "$PKI" || exit 1
	openssl ecparam -name prime256v1 -genkey -noout -out evil.key 2>/dev/null
	openssl req -new -key evil.key -subj "/O=attls test/CN=evil$(printf '\033')[31mred$(printf '\007')" \
		-out evil.csr 2>/dev/null
	printf 'subjectAltName=DNS:localhost\n' >evil.ext
	openssl x509 -req -in evil.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile evil.ext -out evil.pem 2>/dev/null
)
policy "$WORK/evil.ini" <<EOF2
[global]
trace = error-stderr, error, event
[keyring k]
ca = @PKI@/ca.pem
[traffic out]
direction = outbound
remote_port = $EVIL, $ODD
server_name = localhost
keyring = k
EOF2
bg openssl s_server -accept "$EVIL" -cert "$PKI/evil.pem" -key "$PKI/evil.key" -www -quiet
wait_port "$EVIL" && under "$WORK/evil.ini" curl -sS -o /dev/null "http://127.0.0.1:$EVIL/"
# One whose CN holds a quote and fields after it, a NUL, and an escape.
/usr/bin/python3 "$PY/odd_cert.py" "$PKI/ca.pem" "$PKI/ca.key" "$PKI/odd.pem" "$PKI/odd.key" localhost
bg openssl s_server -accept "$ODD" -cert "$PKI/odd.pem" -key "$PKI/odd.key" -www -quiet
wait_port "$ODD" && under "$WORK/evil.ini" curl -sS -o /dev/null "http://127.0.0.1:$ODD/"
sleep 0.5
check "syslog: a peer subject's escape and bell bytes are written as \\x1b and \\x07" \
	grep -qF 'peer="/O=attls test/CN=evil\x1b[31mred\x07"' "$WORK/syslog"
check "syslog: a subject's quote, NUL and escape cannot end its field or the name early" \
	grep -qF 'peer="/O=attls test/CN=good.client\x00.evil\x22 rule\x3dadmin job\x3dROOT \x1b[2J" device=' \
	"$WORK/syslog"
check "syslog: no line holds a control byte other than the newline" \
	bash -c "! LC_ALL=C grep -q '[[:cntrl:]]' '$WORK/syslog'"
check "syslog: the policy loaded (ATTLS001I) and its device (ATTLS070I)" \
	bash -c "grep -q 'attls\[[0-9]*\]: ATTLS001I' '$WORK/syslog' && grep -q 'ATTLS070I crypto device.*cpu: libgcrypt' '$WORK/syslog'"
check "syslog: a mapped connection names its rule (ATTLS010I)" \
	grep -q "ATTLS010I connection mapped conn=127.0.0.1:$P<-.* rule=in: role=server keyring=k" "$WORK/syslog"
check "syslog: AES-GCM ran on the cpu device, the first handshake not resumed" \
	grep -q "ATTLS021I handshake done conn=127.0.0.1:$P.*cipher=TLS13-AES128-GCM-SHA256 resumed=no .*device=\"cpu: libgcrypt" "$WORK/syslog"
check "syslog: the second handshake resumed" \
	grep -q "ATTLS021I handshake done conn=127.0.0.1:$P.*resumed=yes" "$WORK/syslog"
check "syslog: ChaCha20 says why it stays in software" \
	grep -q "ATTLS021I.*cipher=TLS13-CHACHA20-POLY1305-SHA256 .*device=\"software: TLS13-CHACHA20-POLY1305-SHA256 is not AES-GCM\"" "$WORK/syslog"
check "syslog: device = software says so for each session" \
	grep -q "ATTLS021I handshake done conn=127.0.0.1:$Q.*device=\"software: chosen by the policy\"" "$WORK/syslog"
check "syslog: connections close with their byte counts (ATTLS030I)" \
	grep -q "ATTLS030I connection closed conn=127.0.0.1:$P.*bytes_in=[0-9]* bytes_out=[1-9]" "$WORK/syslog"
finish

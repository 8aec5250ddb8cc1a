#!/usr/bin/env bash
# Inbound: a plaintext web server under attls; curl and openssl s_client as
# native TLS peers; client authentication none and required.
source "$(dirname "$0")/lib.sh"
make_pki
P=$(free_port)
Q=$(free_port)
policy "$WORK/p.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 3s
[keyring web]
cert = @PKI@/server.pem
key = @PKI@/server.key
ca = @PKI@/ca.pem
[security mutual]
client_auth = required
[traffic web]
direction = inbound
local_port = $P
keyring = web
[traffic web_mutual]
direction = inbound
local_port = $Q
keyring = web
security = mutual
EOF2
mkdir -p "$WORK/www"
head -c 3000000 /dev/urandom >"$WORK/www/big.bin"
echo "hello over tls" >"$WORK/www/index.html"
serve_dir "$WORK/p.ini" "$WORK/www" "$P" "$WORK/web.log" || exit 1
serve_dir "$WORK/p.ini" "$WORK/www" "$Q" "$WORK/mutual.log" || exit 1

out=$(timeout 20 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$P/index.html")
check "curl --cacert gets the page over TLS" [ "$out" = "hello over tls" ]
timeout 30 curl -sS --cacert "$PKI/ca.pem" -o "$WORK/got.bin" "https://localhost:$P/big.bin"
check "a 3 MB file arrives intact" cmp -s "$WORK/www/big.bin" "$WORK/got.bin"
out=$(printf 'GET /index.html HTTP/1.0\r\n\r\n' | timeout 20 openssl s_client -quiet \
	-connect "127.0.0.1:$P" -servername localhost -CAfile "$PKI/ca.pem" -verify_return_error 2>/dev/null)
check "openssl s_client gets the page" grep -q "hello over tls" <<<"$out"
out=$(echo | timeout 20 openssl s_client -connect "127.0.0.1:$P" -CAfile "$PKI/ca.pem" -tls1_2 2>&1)
check "TLS 1.2 works too" grep -q "Protocol  *: TLSv1.2" <<<"$out"

# client_auth = required
timeout 20 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$Q/index.html" >"$WORK/noc.out" 2>&1
check "required client auth: a peer without a certificate is refused" \
	bash -c "! grep -q 'hello over tls' '$WORK/noc.out'"
out=$(timeout 20 curl -sS --cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client.key" \
	"https://localhost:$Q/index.html")
check "required client auth: a peer with a certificate is accepted" [ "$out" = "hello over tls" ]
timeout 20 curl -sS --cacert "$PKI/ca.pem" --cert "$PKI/stranger.pem" --key "$PKI/stranger.key" \
	"https://localhost:$Q/index.html" >"$WORK/str.out" 2>&1
check "required client auth: a certificate from an unknown CA is refused" \
	bash -c "! grep -q 'hello over tls' '$WORK/str.out'"
check "the refusal is logged with its reason" grep -q "ATTLS022E handshake failed.*rule=web_mutual" "$WORK/mutual.log"
# No protocol version in common: the log says what each side has.
V=$(free_port)
W=$(free_port)
policy "$WORK/v.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 3s
[keyring web]
cert = @PKI@/server.pem
key = @PKI@/server.key
[security t13]
protocols = TLSv1.3
[security t12]
protocols = TLSv1.2
[traffic only13]
direction = inbound
local_port = $V
keyring = web
security = t13
[traffic only12]
direction = inbound
local_port = $W
keyring = web
security = t12
EOF2
serve_dir "$WORK/v.ini" "$WORK/www" "$V" "$WORK/v13.log" || exit 1
serve_dir "$WORK/v.ini" "$WORK/www" "$W" "$WORK/v12.log" || exit 1
echo | timeout 10 openssl s_client -connect "127.0.0.1:$V" -tls1_2 >/dev/null 2>&1
echo | timeout 10 openssl s_client -connect "127.0.0.1:$W" -tls1_3 >/dev/null 2>&1
sleep 0.3
check "a TLS 1.2 client at a TLS 1.3 level: the log says both (\"offers TLSv1.2 at most ... allows TLSv1.3\")" \
	grep -q "rule=only13: no protocol version in common: the client offers TLSv1.2 at most, the descriptor's security level allows TLSv1.3 (protocols)" "$WORK/v13.log"
check "a TLS 1.3-only client at a TLS 1.2 level: \"offers TLSv1.3 ... allows TLSv1.2\"" \
	grep -q "rule=only12: no protocol version in common: the client offers TLSv1.3, the descriptor's security level allows TLSv1.2" "$WORK/v12.log"
# An X.509 version 1 client certificate, from the trusted CA: refused, and said so plainly.
openssl x509 -req -in "$PKI/client.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -set_serial 9 \
	-days 2 -out "$WORK/v1.pem" 2>/dev/null
timeout 20 curl -sS --cacert "$PKI/ca.pem" --cert "$WORK/v1.pem" --key "$PKI/client.key" \
	"https://localhost:$Q/index.html" >"$WORK/v1.out" 2>&1
check "required client auth: an X.509 v1 certificate is refused, the log says version 1" \
	bash -c "! grep -q 'hello over tls' '$WORK/v1.out' && grep -q 'ATTLS022E.*rule=web_mutual: the peer.s certificate, or one in its chain, is X.509 version 1' '$WORK/mutual.log'"
# Clients that refuse the server's certificate (expired): the server's log
# says the client ended the handshake after it, not that it spoke no TLS.
X=$(free_port)
policy "$WORK/x.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 3s
[keyring old]
cert = @PKI@/expired.pem
key = @PKI@/expired.key
[traffic expired]
direction = inbound
local_port = $X
keyring = old
EOF2
serve_dir "$WORK/x.ini" "$WORK/www" "$X" "$WORK/x.log" || exit 1
for v in -tls1_3 -tls1_2; do
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$X" "$v" -verify_return_error \
		-CAfile "$PKI/ca.pem" >"$WORK/x$v.out" 2>&1
done
timeout 10 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$X/" >"$WORK/x-curl.out" 2>&1
sleep 0.3
check "the clients refused the expired certificate" \
	bash -c "grep -q 'certificate has expired' '$WORK/x-tls1_3.out' && grep -q 'certificate has expired' '$WORK/x-tls1_2.out' && grep -q 'expired' '$WORK/x-curl.out'"
check "a TLS 1.2 client's alert is named: certificate_expired (45)" \
	grep -q "rule=expired: the client refused the handshake after our certificate with a fatal alert: .* (45) (its own log says why)" "$WORK/x.log"
check "TLS 1.3 clients: the client ended the handshake after our certificate, never 'does not speak TLS' ($(grep -c 'ended the handshake after our certificate' "$WORK/x.log"))" \
	bash -c "[ \"\$(grep -c 'rule=expired: the client ended the handshake after our certificate' '$WORK/x.log')\" -ge 2 ] && ! grep -q 'does not speak TLS' '$WORK/x.log'"
# Clear text whose bytes 4-5 read as a too long record (wolfSSL's length error).
printf 'stats\r\n' | timeout 5 socat - "TCP:127.0.0.1:$X" >/dev/null 2>&1
sleep 0.3
check "clear text 'stats' at a TLS port: the peer does not speak TLS" \
	bash -c "grep 'rule=expired' '$WORK/x.log' | tail -1 | grep -q 'the peer does not speak TLS (clear text or garbage?): record layer length error (-341)'"
finish

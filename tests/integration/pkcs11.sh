#!/usr/bin/env bash
# Keys on a PKCS#11 token (SoftHSM2): the private key never leaves it.
# ECDSA P-256 and RSA-2048, server and client roles, a certificate read
# from the token, a forking server, concurrent handshakes, and the errors
# that must show when the policy loads: wrong PIN, missing object, a key
# that does not match its certificate.
source "$(dirname "$0")/lib.sh"
PY=$TOP/tests/integration/py
MODULE=$(find /usr/lib -name libsofthsm2.so -path '*softhsm*' 2>/dev/null | head -1)
[ -n "$MODULE" ] || { echo "SoftHSM2 is not installed"; exit 1; }
make_pki

# A token of our own, torn down with $WORK.
mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$WORK/tokens" >"$WORK/softhsm2.conf"
export SOFTHSM2_CONF=$WORK/softhsm2.conf
softhsm2-util --init-token --free --label attls --pin 1234 --so-pin 4321 >/dev/null || exit 1
(
	cd "$PKI" || exit 1
	openssl req -new -newkey rsa:2048 -nodes -keyout rsa.key -subj "/O=attls test/CN=localhost" \
		-out rsa.csr 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >rsa.ext
	openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile rsa.ext -out rsa.pem 2>/dev/null
	chmod 600 rsa.key
)
import_key() { # KEYFILE LABEL ID
	openssl pkcs8 -topk8 -nocrypt -in "$1" -out "$WORK/import.p8" &&
		softhsm2-util --import "$WORK/import.p8" --token attls --label "$2" --id "$3" \
			--pin 1234 >/dev/null
	rm -f "$WORK/import.p8"
}
import_key "$PKI/server.key" ecdsa 01
import_key "$PKI/rsa.key" rsa 02
import_key "$PKI/client.key" client 03
import_key "$PKI/client.key" mismatch 04
openssl x509 -in "$PKI/server.pem" -outform DER -out "$WORK/server.der"
pkcs11-tool --module "$MODULE" --token-label attls --login --pin 1234 --write-object \
	"$WORK/server.der" --type cert --label ecdsa --id 01 >/dev/null 2>&1 ||
	fail "pkcs11-tool stores the certificate on the token"
echo 1234 >"$WORK/pin"
chmod 600 "$WORK/pin"
echo 9999 >"$WORK/badpin"
chmod 600 "$WORK/badpin"

E=$(free_port)
R=$(free_port)
C=$(free_port)
F=$(free_port)
S=$(free_port)
policy "$WORK/p.ini" <<EOF2
[global]
trace = error-stderr, error
[crypto]
module_path = $MODULE
pin_source = file:$WORK/pin
[keyring ecdsa]
cert = @PKI@/server.pem
key = pkcs11:token=attls;object=ecdsa
[keyring rsa]
cert = @PKI@/rsa.pem
key = pkcs11:token=attls;id=%02
[keyring oncard]
cert = pkcs11:token=attls;object=ecdsa;type=cert
key = pkcs11:token=attls;object=ecdsa;type=private
[keyring client]
cert = @PKI@/client.pem
key = pkcs11:token=attls;object=client
ca = @PKI@/ca.pem
[traffic ecdsa_in]
direction = inbound
local_port = $E, $F
keyring = ecdsa
[traffic rsa_in]
direction = inbound
local_port = $R
keyring = rsa
[traffic oncard_in]
direction = inbound
local_port = $C
keyring = oncard
[traffic client_out]
direction = outbound
remote_port = $S
keyring = client
server_name = localhost
EOF2
check "attls check loads every token key ring" "$ATTLS" check "$WORK/p.ini"
# The certificate on the token is read for attls check's warnings too (it ends in 2 days).
check "attls check reads the token's certificate for its end date" \
	grep -q "p.ini:13: warning: cert: the token: certificate 1 (/O=attls test/CN=localhost) expires on" \
	<("$ATTLS" check "$WORK/p.ini" 2>&1)

mkdir -p "$WORK/www"
echo "hello from a token key" >"$WORK/www/index.html"
for port in $E $R $C; do
	serve_dir "$WORK/p.ini" "$WORK/www" "$port" "$WORK/web.log" || exit 1
done
out=$(timeout 20 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$E/index.html")
check "server, ECDSA P-256 key on the token: curl gets the page" [ "$out" = "hello from a token key" ]
out=$(echo | timeout 20 openssl s_client -connect "127.0.0.1:$E" -CAfile "$PKI/ca.pem" \
	-verify_return_error 2>&1)
check "server, ECDSA: openssl s_client verifies an ECDSA signature" \
	grep -q "Peer signature type: ECDSA" <<<"$out"
out=$(echo | timeout 20 openssl s_client -connect "127.0.0.1:$R" -CAfile "$PKI/ca.pem" \
	-verify_return_error 2>&1)
check "server, RSA-2048 key on the token (by id): s_client verifies an RSA-PSS signature" \
	grep -q "Peer signature type: RSA-PSS" <<<"$out"
out=$(timeout 20 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$C/index.html")
check "server, certificate and key both read from the token" [ "$out" = "hello from a token key" ]

# Eight handshakes at once, all signing on the one token session.
curls=()
for i in $(seq 8); do
	timeout 30 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$E/index.html" >"$WORK/par.$i" &
	curls+=($!)
done
wait "${curls[@]}"
check "eight concurrent handshakes on one token all succeed" \
	[ "$(cat "$WORK"/par.* | grep -c 'hello from a token key')" = 8 ]

# Client role: client authentication signed on the token.
bg openssl s_server -accept "$S" -cert "$PKI/server.pem" -key "$PKI/server.key" \
	-CAfile "$PKI/ca.pem" -Verify 1 -verify_return_error -www
wait_port "$S" || exit 1
out=$(under "$WORK/p.ini" curl -sS "http://localhost:$S/")
check "client, token key for client auth: openssl s_server accepts the certificate" \
	grep -q "Peer signature type: ECDSA" <<<"$out"

# A forking server: the children sign with the token after fork.
bg env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" python3 "$PY/forking_server.py" "$F"
wait_port "$F" || exit 1
ok=true
for i in 1 2 3; do
	out=$(echo "hello$i" | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$F" \
		-CAfile "$PKI/ca.pem" -verify_return_error 2>/dev/null)
	grep -q "echo=hello$i" <<<"$out" || ok=false
done
check "forking server with a token key: three children answer over TLS" $ok

# The errors of a token that must show when the policy loads.
bad() { # NAME KEYRING-LINES -> prints attls check's output
	{
		printf '[crypto]\nmodule_path = %s\n' "$MODULE"
		printf '[keyring k]\n%s\n' "$2"
		printf '[traffic t]\nlocal_port = 1\nenabled = no\n'
	} | policy "$WORK/$1.ini"
	"$ATTLS" check "$WORK/$1.ini" 2>&1
	echo "exit=$?"
}
out=$(bad pin "cert = @PKI@/server.pem
key = pkcs11:token=attls;object=ecdsa?pin-source=file:$WORK/badpin")
check "a wrong PIN is reported at load: $(head -1 <<<"$out")" \
	bash -c "grep -q 'pin.ini:5: key: token \"attls\": the PIN is wrong' <<<'$out' && grep -q exit=1 <<<'$out'"
out=$(bad missing "cert = @PKI@/server.pem
key = pkcs11:token=attls;object=nope?pin-source=file:$WORK/pin")
check "a missing object is reported at load: $(head -1 <<<"$out")" \
	grep -q 'missing.ini:5: key: token "attls" has no private key with object=nope' <<<"$out"
out=$(bad mismatch "cert = @PKI@/server.pem
key = pkcs11:token=attls;object=mismatch?pin-source=file:$WORK/pin")
check "a token key that does not match its certificate is reported at load" \
	grep -q 'mismatch.ini:5: key: the key does not match the certificate' <<<"$out"
out=$(bad notoken "cert = @PKI@/server.pem
key = pkcs11:token=elsewhere;object=ecdsa?pin-source=file:$WORK/pin")
check "an unknown token is reported at load" \
	grep -q 'notoken.ini:5: key: no token labelled "elsewhere"' <<<"$out"
# Under the shim the same policy refuses connections, with the reason.
P2=$(free_port)
printf '[traffic t]\ndirection = inbound\nlocal_port = %s\nkeyring = k\n' "$P2" >>"$WORK/pin.ini"
serve_dir "$WORK/pin.ini" "$WORK/www" "$P2" "$WORK/badpin.log" || exit 1
timeout 10 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$P2/index.html" >/dev/null 2>&1
check "under the shim a wrong PIN refuses connections and says why" \
	grep -q "ATTLS003E.*\|the PIN is wrong" "$WORK/badpin.log"
check "the PIN never appears in a log" bash -c "! grep -q 1234 '$WORK'/*.log"
finish

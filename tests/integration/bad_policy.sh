#!/usr/bin/env bash
# Fail closed: with a policy that cannot be loaded, TCP connects and accepts
# are refused and the reason is printed on stderr with the file and line.
source "$(dirname "$0")/lib.sh"
make_pki
S=$(free_port)
printf '[global]\ntrace = loud\n[traffic x]\nlocal_port = 1\n' >"$WORK/bad.ini"
bg openssl s_server -accept "$S" -cert "$PKI/server.pem" -key "$PKI/server.key" -www -quiet
wait_port "$S" || exit 1

under "$WORK/bad.ini" curl -sS "http://127.0.0.1:$S/" >"$WORK/out" 2>"$WORK/err"
rc=$?
check "a connect under a bad policy is refused (curl exit $rc)" [ $rc -ne 0 ]
check "stderr says connections are refused" grep -q "ATTLS003E no policy in force" "$WORK/err"
check "stderr names file and line of each error" grep -q "bad.ini:2: trace: \"loud\"" "$WORK/err"
check "stderr names the second error too" grep -q "bad.ini:3:.*keyring is required" "$WORK/err"
check "the policy error is printed once" [ "$(grep -c 'ATTLS003E' "$WORK/err")" -eq 1 ]
under /nonexistent/attls.ini curl -sS "http://127.0.0.1:$S/" >"$WORK/out" 2>"$WORK/err"
check "a missing policy file refuses too" grep -q "cannot open policy" "$WORK/err"

"$ATTLS" check "$WORK/bad.ini" >"$WORK/check.out" 2>&1
rc=$?
check "attls check exits 1 on errors" [ $rc -eq 1 ]
check "attls check prints every error with its line" [ "$(grep -c 'bad.ini:[0-9]*:' "$WORK/check.out")" -eq 2 ]
# Cipher lists are checked on every level, named or not, with or without keys.
cat >"$WORK/levels.ini" <<'EOF2'
[security a]
ciphers = ALL:!aNULL
[security b]
ciphers = TLS13-AES128-GCM-SHA256:NOPE-CIPHER
[traffic t]
direction = outbound
remote_port = 443
security = a
enabled = no
EOF2
for mode in --no-keys ""; do
	out=$("$ATTLS" check $mode "$WORK/levels.ini" 2>&1)
	rc=$?
	check "attls check ${mode:-(keys)}: a cipher list with an operator is an error (exit $rc)" \
		grep -q "levels.ini:2: ciphers: \"!aNULL\": this wolfSSL takes no operators" <<<"$out"
	check "attls check ${mode:-(keys)}: an unknown suite in a level no descriptor uses is an error" \
		grep -q "levels.ini:4: ciphers: \"NOPE-CIPHER\" is no cipher suite" <<<"$out"
done
chmod 644 "$PKI/server.key"
printf '[keyring k]\ncert = %s\nkey = %s\n' "$PKI/server.pem" "$PKI/server.key" >"$WORK/mode.ini"
check "a key readable by others is refused" grep -q "mode.ini:3: key: .* has mode 0644" <("$ATTLS" check "$WORK/mode.ini" 2>&1)
chmod 600 "$PKI/server.key"
printf '[keyring k]\ncert = %s\nkey = %s\n[traffic t]\ndirection = inbound\nkeyring = k\n' \
	"$PKI/server.key" "$PKI/server.key" >"$WORK/notcert.ini"
check "a file that is no certificate is refused" grep -q "notcert.ini:2: cert: cannot load" <("$ATTLS" check "$WORK/notcert.ini" 2>&1)
# A NUL byte hides the rest of its line: here a section header, which
# would put "enabled = no" in the TLS descriptor above it.
printf '[keyring k]\nca = %s\n[traffic t]\nremote_port = 7843\nrole = client\nserver_name = x\nkeyring = k\n\0[traffic u]\nenabled = no\n' \
	"$PKI/ca.pem" >"$WORK/nul.ini"
"$ATTLS" check "$WORK/nul.ini" >"$WORK/nul.out" 2>&1
rc=$?
check "a NUL byte in a policy is an error at its line (exit $rc)" \
	grep -q "nul.ini:8: a NUL byte" "$WORK/nul.out"
# Its key files named in a directory that surely has none (this host's
# /etc/attls may hold an administrator's).
sed "s|/etc/attls/|$WORK/absent/|g" "$TOP/conf/broker.ini" >"$WORK/broker.ini"
"$ATTLS" check "$WORK/broker.ini" >"$WORK/broker.out" 2>&1
broker_clean() {
	[ "$(grep -c 'broker.ini:[0-9]*: ' "$WORK/broker.out")" = 3 ] &&
		[ "$(grep -c 'No such file or directory' "$WORK/broker.out")" = 3 ]
}
check "the sample broker policy is clean but for its absent key files" broker_clean
# A PIN typed into the wrong attribute (";" for "&") is never printed in an error.
policy "$WORK/pinerr.ini" <<EOF2
[keyring k]
cert = @PKI@/server.pem
key = pkcs11:token=t;object=k?module-path=/nonexistent/libp11.so;pin-value=4711SECRET
[traffic t]
direction = inbound
local_port = 1
keyring = k
EOF2
chmod 600 "$WORK/pinerr.ini"
"$ATTLS" check "$WORK/pinerr.ini" >"$WORK/pinerr.out" 2>&1
check "a pin-value inside a failing module-path is hidden in the error (exit $?)" \
	bash -c "grep -q 'pinerr.ini:3: .*pin-value=(hidden)' '$WORK/pinerr.out' && ! grep -q 4711SECRET '$WORK/pinerr.out'"
# A line longer than inih's 200-byte buffer: five SHA-256 pins, and a comment after them.
pins=$(for i in 1 2 3 4 5; do printf 'SHA256:%064x, ' "$i"; done)
cat >"$WORK/long.ini" <<EOF2
[keyring k]
cert = $PKI/server.pem
key = $PKI/server.key
ca = $PKI/ca.pem
[security s]
client_auth = required
allow_peer = ${pins%, }   ; old, current and next certificates
[traffic t]
direction = inbound
local_port = 1
keyring = k
security = s
EOF2
"$ATTLS" query "$WORK/long.ini" --direction inbound --local-port 1 >"$WORK/long.out" 2>&1
check "a ${#pins}-character allow_peer line is read whole: five pins, the comment dropped" \
	bash -c "grep -q 'allow_peer: SHA256:0*1, .*SHA256:0*5 ($WORK/long.ini:7)' '$WORK/long.out'"
# TLSv1.0 and 1.1 are not in this build: named in a range, an error, not a range cut short.
printf '[security s]\nprotocols = TLSv1.0, TLSv1.2\nallow_legacy = yes\n[traffic t]\nenabled = no\nsecurity = s\n' >"$WORK/legacy.ini"
"$ATTLS" check --no-keys "$WORK/legacy.ini" >"$WORK/legacy.out" 2>&1
check "protocols = TLSv1.0, TLSv1.2 with allow_legacy: an error at its line (exit $?)" \
	grep -q "legacy.ini:2: protocols: TLSv1.0 and TLSv1.1 are not in this build" "$WORK/legacy.out"
# A PIN typed where its file's name goes is not repeated.
printf '[crypto]\npin_source = 4711SECRET\n[keyring k]\nkey = pkcs11:token=t;object=k?module-path=/x.so&pin-source=4712SECRET\ncert = %s\n[traffic t]\ndirection = inbound\nlocal_port = 1\nkeyring = k\n' "$PKI/server.pem" >"$WORK/pinsrc.ini"
"$ATTLS" check --no-keys "$WORK/pinsrc.ini" >"$WORK/pinsrc.out" 2>&1
check "a PIN in pin_source or a URI's pin-source is not printed" \
	bash -c "grep -q 'pin_source: not an absolute path' '$WORK/pinsrc.out' && grep -q 'pin-source is not an absolute path' '$WORK/pinsrc.out' && ! grep -q 471 '$WORK/pinsrc.out'"
# Without its key files (a CI pipeline that holds none): checked and queried all the same.
"$ATTLS" check --no-keys "$TOP/conf/broker.ini" >"$WORK/broker2.out" 2>&1
check "attls check --no-keys conf/broker.ini: ok with no key file present (exit $?)" \
	grep -q "broker.ini: ok: 2 traffic descriptors" "$WORK/broker2.out"
"$ATTLS" query "$TOP/conf/broker.ini" --direction inbound --local-port 7800 \
	--jobname WI02BRK >"$WORK/query.out" 2>&1
rc=$?
check "attls query conf/broker.ini needs no key file: SOAP_Server, server (exit $rc)" \
	bash -c "[ $rc = 0 ] && grep -q '^match: SOAP_Server' '$WORK/query.out' && grep -q 'role: server' '$WORK/query.out'"
# One run lists every error, each once: the key rings and security levels
# whose own lines passed are read and proven though other sections have
# errors ([keyring mixed]'s key is another certificate's), a key ring with
# an error of its own is not (its key is no better, but one error is said).
policy "$WORK/multi.ini" <<'EOF2'
[global]
trace = loud
[keyring good]
ca = @PKI@/ca.pem
[keyring mixed]
cert = @PKI@/server.pem
key = @PKI@/client.key
[keyring broken]
cert = @PKI@/server.pem
key = @PKI@/client.key
ocsp = maybe
[security s]
protocols = TLSv1.4
[security c]
ciphers = TLS13-AES128-GCM-SHA256:NOPE-CIPHER
[traffic a]
direction = inbound
keyring = mixed
[traffic b]
direction = outbound
keyring = good
server_name = x
bogus = 1
EOF2
M=$WORK/multi.ini
cat >"$WORK/multi.want" <<EOF2
$M:2: trace: "loud" is not a number 0-255 or a list of error-stderr, error, info, event, flow, data
$M:11: ocsp: "maybe" is not one of off, stapled, required-stapled, responder
$M:13: protocols: "TLSv1.4" is not one of TLSv1.3, TLSv1.2, TLSv1.1, TLSv1.0
$M:23: unknown key "bogus" in [traffic]; expected one of: direction local_port remote_port local_addr remote_addr jobname user role server_name keyring security priority enabled trace allow_peer
$M:7: key: $PKI/client.key: the key does not match the certificate: a signature it made does not verify with the certificate's public key ($PKI/server.pem)
$M:15: ciphers: "NOPE-CIPHER" is no cipher suite this wolfSSL knows
$M: 6 errors
EOF2
"$ATTLS" check "$M" >"$WORK/multi.out" 2>&1
rc=$?
check "attls check, 4 errors in the policy: the key that is not its certificate's and the unknown suite are said in the same run, each error once, 6 errors (exit $rc)" \
	diff "$WORK/multi.want" "$WORK/multi.out"
grep -v ':7: key:' "$WORK/multi.want" | sed 's/: 6 errors$/: 5 errors/' >"$WORK/multi-nokeys.want"
"$ATTLS" check --no-keys "$M" >"$WORK/multi-nokeys.out" 2>&1
check "attls check --no-keys, the same policy: no key read, the rest said, 5 errors" \
	diff "$WORK/multi-nokeys.want" "$WORK/multi-nokeys.out"
# Errors that are in the key rings' files only: the ticket key file's and
# the key proof's, in one run too.
printf 'x\n' >"$WORK/short.key"
chmod 600 "$WORK/short.key"
policy "$WORK/files.ini" <<EOF2
[global]
ticket_key_file = $WORK/short.key
[keyring mixed]
cert = @PKI@/server.pem
key = @PKI@/client.key
[traffic a]
direction = inbound
keyring = mixed
EOF2
"$ATTLS" check "$WORK/files.ini" >"$WORK/files.out" 2>&1
check "a bad ticket key file and a key that is not its certificate's: both said in one run" \
	bash -c "grep -q '^$WORK/files.ini:2: ticket_key_file' '$WORK/files.out' && grep -q '^$WORK/files.ini:5: key: .*does not match the certificate' '$WORK/files.out' && grep -q '^$WORK/files.ini: 2 errors$' '$WORK/files.out'"
# A value refused is one error: the checks that depend on it do not take it
# for absent (a key missing, direction = both, no keyring, client_auth = none).
policy "$WORK/cascade.ini" <<'EOF2'
[keyring k]
cert = @PKI@/server.pem
key = host.key
[keyring c]
ca = @PKI@/ca.pem
[keyring e]
cert = @PKI@/server.pem
key =
[traffic in]
direction = in
keyring = k
[traffic r]
role = bogus
keyring = c
[traffic noref]
direction = inbound
keyring = bad name
[security s]
client_auth = sometimes
[traffic t]
direction = inbound
keyring = k
security = s
allow_peer = CN=x
[keyring o]
ca = relative/ca.pem
ocsp = responder
[traffic o]
direction = outbound
server_name = x
keyring = o
EOF2
C=$WORK/cascade.ini
cat >"$WORK/cascade.want" <<EOF2
$C:3: key: "host.key" is not an absolute path
$C:8: key: empty value
$C:10: direction: "in" is not one of inbound, outbound, both
$C:13: role: "bogus" is not server or client
$C:17: keyring: "bad name" is not a section name
$C:19: client_auth: "sometimes" is not one of none, optional, required
$C:26: ca: "relative/ca.pem" is not an absolute path
$C: 7 errors
EOF2
for mode in --no-keys ""; do
	"$ATTLS" check $mode "$C" >"$WORK/cascade.out" 2>&1
	check "attls check ${mode:-(keys)}: each refused value is one error, 7 errors: none of key missing, direction = both, keyring required, client_auth = none, ocsp or a client needs ca" \
		diff "$WORK/cascade.want" "$WORK/cascade.out"
done
finish

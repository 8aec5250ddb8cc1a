#!/usr/bin/env bash
# allow_peer: which verified peers may talk to the program. Leaf
# certificates from the test CA with names of every kind; as a server
# (client_auth = required; Python's web server under attls) against
# openssl s_client and curl, and as a client (curl http:// under attls)
# against openssl s_server: a matching peer passes, another certificate
# from the same CA is refused with ATTLS024E naming the descriptor, the
# allow_peer line and the peer, and gets a bad_certificate alert. A
# session resumed from a ticket does not cross to a descriptor with
# another allow-list; bad patterns are FILE:LINE errors.
source "$(dirname "$0")/lib.sh"
make_pki

# leaf NAME SUBJECT SAN: a certificate from the test CA.
leaf() {
	(
		cd "$PKI" || exit 1
		openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null &&
			chmod 600 "$1.key" &&
			openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null &&
			printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$3" >"$1.ext" &&
			openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
				-days 2 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
	) || exit 1
}
leaf cli_ok "/O=Example/CN=broker-a" \
	"DNS:broker-a.example.net,URI:spiffe://example.net/broker/a,IP:10.1.2.3,email:broker-a@example.net"
# Close to cli_ok's names, each one step outside a pattern below.
leaf cli_bad "/O=Other/CN=intruder" \
	"DNS:a.broker-a.example.net,URI:spiffe://example.net/broker/a/b,IP:10.2.0.1,email:intruder@example.org"
leaf srv_ok "/O=Example/CN=broker-1" \
	"DNS:localhost,DNS:broker-1.example.net,URI:spiffe://example.net/broker/1,IP:10.1.0.7"
leaf srv_bad "/O=Other/CN=intruder" \
	"DNS:localhost,DNS:x.broker-1.example.net,URI:spiffe://example.net/broker/1/x,IP:10.9.0.7"
fp() { openssl x509 -in "$PKI/$1.pem" -noout -fingerprint -sha256 | sed 's/.*=//'; }
CLI_FP=$(fp cli_ok)
SRV_FP=$(fp srv_ok)

# ---- attls as the server, client_auth = required ----
for v in PCN PDNS PURI PIP PSHA PMAIL PLVL PREPL POPT PRES; do printf -v "$v" '%s' "$(free_port)"; done
policy "$WORK/s.ini" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
ca = @PKI@/ca.pem
[security req]
client_auth = required
[security lvl]
client_auth = required
allow_peer = CN=nobody, SAN:DNS=nowhere.example.net
[security opt]
client_auth = optional
[traffic by_cn]
direction = inbound
local_port = $PCN
keyring = k
security = req
allow_peer = CN=broker-*
[traffic by_dns]
direction = inbound
local_port = $PDNS
keyring = k
security = req
allow_peer = SAN:DNS=*.example.net
[traffic by_uri]
direction = inbound
local_port = $PURI
keyring = k
security = req
allow_peer = SAN:URI=spiffe://example.net/broker/*
[traffic by_ip]
direction = inbound
local_port = $PIP
keyring = k
security = req
allow_peer = SAN:IP=10.1.0.0/16
[traffic by_sha]
direction = inbound
local_port = $PSHA
keyring = k
security = req
allow_peer = SHA256:$CLI_FP
[traffic by_mail]
direction = inbound
local_port = $PMAIL
keyring = k
security = req
allow_peer = SAN:EMAIL=*@EXAMPLE.net
[traffic by_level]
direction = inbound
local_port = $PLVL
keyring = k
security = lvl
[traffic replaces]
direction = inbound
local_port = $PREPL
keyring = k
security = lvl
allow_peer = O=Example
[traffic by_cn_opt]
direction = inbound
local_port = $POPT
keyring = k
security = opt
allow_peer = CN=broker-*
[traffic other_list]
direction = inbound
local_port = $PRES
keyring = k
security = req
allow_peer = CN=broker-a, O=Other
EOF2
line_of() { grep -n "^$1" "$WORK/s.ini" | head -1 | cut -d: -f1; }
at_line() { # the line of the allow_peer key after [traffic NAME]
	awk -v s="[traffic $1]" '$0 == s { f = 1 } f && /^allow_peer/ { print NR; exit }' "$WORK/s.ini"
}
mkdir -p "$WORK/www"
echo "hello over tls" >"$WORK/www/index.html"
(cd "$WORK/www" && exec env ATTLS_CONFIG="$WORK/s.ini" LD_PRELOAD="$LIB" \
	python3 "$TOP/tests/integration/py/multi_http.py" "$PCN" "$PDNS" "$PURI" "$PIP" "$PSHA" \
	"$PMAIL" "$PLVL" "$PREPL" "$POPT" "$PRES" >>"$WORK/server.log" 2>&1) &
PIDS+=("$!")
for p in "$PCN" "$PDNS" "$PURI" "$PIP" "$PSHA" "$PMAIL" "$PLVL" "$PREPL" "$POPT" "$PRES"; do
	wait_port "$p" || exit 1
done

# sc PORT CERT [ARGS...]: one request with openssl s_client; its output in $WORK/sc.out.
sc() {
	local port=$1 c=$2
	shift 2
	local cert=()
	[ "$c" != none ] && cert=(-cert "$PKI/$c.pem" -key "$PKI/$c.key")
	(printf 'GET /index.html HTTP/1.0\r\n\r\n'; sleep 1) | timeout 10 openssl s_client \
		-connect "127.0.0.1:$port" -servername localhost -CAfile "$PKI/ca.pem" \
		-verify_return_error "${cert[@]}" "$@" >"$WORK/sc.out" 2>&1
	grep -q "hello over tls" "$WORK/sc.out"
}
# cu PORT CERT: one request with curl.
cu() {
	timeout 10 curl -sS --cacert "$PKI/ca.pem" --cert "$PKI/$2.pem" --key "$PKI/$2.key" \
		"https://localhost:$1/index.html" >"$WORK/cu.out" 2>&1
	grep -q "hello over tls" "$WORK/cu.out"
}
# logged RULE: the last ATTLS024E in the server's log names RULE, its
# allow_peer line, and the peer's subject, SANs and fingerprint.
logged() {
	local l
	l=$(grep "ATTLS024E peer not allowed .*rule=$1:" "$WORK/server.log" | tail -1)
	[ -n "$l" ] && grep -q "allow_peer=$WORK/s.ini:$(at_line "$1") " <<<"$l" &&
		grep -q 'peer="/O=Other/CN=intruder"' <<<"$l" &&
		grep -q 'san="DNS:a.broker-a.example.net,URI:spiffe://example.net/broker/a/b,IP:10.2.0.1,EMAIL:intruder@example.org"' <<<"$l" &&
		grep -qi "sha256=$(fp cli_bad | tr -d : | tr A-F a-f)" <<<"$l"
}
refused() { ! "$@"; }
alerted() { grep -qiE "alert bad certificate|alert number 42" "$WORK/sc.out"; }

for case in "by_cn $PCN CN=broker-*" "by_dns $PDNS SAN:DNS=*.example.net" \
	"by_uri $PURI SAN:URI=spiffe://example.net/broker/*" "by_ip $PIP SAN:IP=10.1.0.0/16" \
	"by_sha $PSHA SHA256 pin" "by_mail $PMAIL SAN:EMAIL=*@EXAMPLE.net"; do
	set -- $case
	rule=$1 port=$2
	shift 2
	what="$*"
	check "server, $what: s_client with a matching certificate gets the page" sc "$port" cli_ok
	check "server, $what: curl with a matching certificate gets the page" cu "$port" cli_ok
	before=$(grep -c "ATTLS024E.*rule=$rule:" "$WORK/server.log")
	gets=$(grep -c '"GET /index.html' "$WORK/server.log")
	check "server, $what: s_client with another certificate of the CA is refused" \
		refused sc "$port" cli_bad
	check "server, $what: ... and gets a bad_certificate alert" alerted
	check "server, $what: ... and ATTLS024E names rule, line, subject, SANs, SHA-256" logged "$rule"
	check "server, $what: curl with another certificate of the CA is refused" refused cu $port cli_bad
	after=$(grep -c "ATTLS024E.*rule=$rule:" "$WORK/server.log")
	check "server, $what: one ATTLS024E per refused client ($before -> $after)" [ "$after" -eq $((before + 2)) ]
	check "server, $what: the web server saw no request from the refused clients" \
		[ "$(grep -c '"GET /index.html' "$WORK/server.log")" -eq "$gets" ]
done

check "a level's allow_peer applies to its descriptors: broker-a refused" refused sc $PLVL cli_ok
check "... logged with the level's allow_peer line" \
	grep -q "ATTLS024E peer not allowed .*rule=by_level: allow_peer=$WORK/s.ini:$(line_of 'allow_peer = CN=nobody') " "$WORK/server.log"
check "a descriptor's allow_peer replaces its level's: broker-a passes" sc "$PREPL" cli_ok
check "... and the level's patterns do not count there: intruder refused" refused sc $PREPL cli_bad
check "client_auth = optional with allow_peer: a client without a certificate is refused" refused sc $POPT none
check "... and ATTLS024E says it sent none" \
	grep -q "ATTLS024E peer not allowed .*rule=by_cn_opt: allow_peer=$WORK/s.ini:$(at_line by_cn_opt): the peer sent no certificate" "$WORK/server.log"
check "client_auth = optional with allow_peer: a matching certificate passes" sc "$POPT" cli_ok

# Resumption: a ticket from by_cn (broker-a allowed) resumes at by_cn, but
# not at other_list (same key ring and level, another allow-list): there a
# full handshake runs and its list judges the certificate it sends.
sess() { # PORT CERT IN OUT [OPTS]: prints New/Reused and page/refused
	local port=$1 c=$2 in=() out
	[ "$3" != - ] && in=(-sess_in "$WORK/sess.$3")
	out=$4
	shift 4
	sc "$port" "$c" "${in[@]}" -sess_out "$WORK/sess.$out" "$@"
	local r
	r=$(grep -oE '^(New|Reused),' "$WORK/sc.out" | head -1 | tr -d ,)
	if grep -q "hello over tls" "$WORK/sc.out"; then echo "${r:-none} page"; else echo "${r:-none} refused"; fi
}
for v in 1.3 1.2; do
	opt=-tls1_${v#1.}
	check "TLS $v: a full handshake at by_cn: $(sess "$PCN" cli_ok - a$v "$opt" | tee "$WORK/r")" \
		grep -qx "New page" "$WORK/r"
	check "TLS $v: by_cn resumes it: $(sess "$PCN" cli_ok a$v b$v "$opt" | tee "$WORK/r")" \
		grep -qx "Reused page" "$WORK/r"
	check "TLS $v: other_list does not resume it: $(sess "$PRES" cli_bad a$v c$v "$opt" | tee "$WORK/r")" \
		grep -qE "^(New|none) " "$WORK/r"
	check "TLS $v: ... and judges the certificate sent (O=Other passes there)" grep -q " page" "$WORK/r"
	check "TLS $v: by_dns (another list) does not resume it with a refused certificate: $(sess "$PDNS" cli_bad a$v d$v "$opt" | tee "$WORK/r")" \
		grep -qE "^(New|none) refused" "$WORK/r"
done

# ---- attls as the client, against openssl s_server ----
SOK=$(free_port)
SBAD=$(free_port)
bg openssl s_server -accept "$SOK" -cert "$PKI/srv_ok.pem" -key "$PKI/srv_ok.key" -www \
	>"$WORK/sok.log" 2>&1
bg openssl s_server -accept "$SBAD" -cert "$PKI/srv_bad.pem" -key "$PKI/srv_bad.key" -www \
	>"$WORK/sbad.log" 2>&1
wait_port "$SOK" && wait_port "$SBAD" || exit 1
n=0
for pat in "CN=broker-*" "SAN:DNS=*.example.net" "SAN:URI=spiffe://example.net/broker/*" \
	"SAN:IP=10.1.0.0/16" "SHA256:$SRV_FP"; do
	n=$((n + 1))
	policy "$WORK/c$n.ini" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
ca = @PKI@/ca.pem
[traffic out_$n]
direction = outbound
remote_port = $SOK, $SBAD
server_name = localhost
keyring = k
allow_peer = $pat
EOF2
	what=${pat%%:[0-9A-F][0-9A-F]:*}
	out=$(under "$WORK/c$n.ini" curl -sS "http://127.0.0.1:$SOK/" 2>&1)
	check "client, $what: a matching server answers" grep -q "s_server" <<<"$out"
	out=$(under "$WORK/c$n.ini" curl -sS "http://127.0.0.1:$SBAD/" 2>&1)
	check "client, $what: another server of the CA is refused (curl: $(grep -o 'curl: ([0-9]*)' <<<"$out"))" \
		refused grep -q "s_server" <<<"$out"
	check "client, $what: ATTLS024E names rule, line, subject, SANs and SHA-256" \
		grep -q "ATTLS024E peer not allowed .*rule=out_$n: allow_peer=$WORK/c$n.ini:$(grep -n '^allow_peer' "$WORK/c$n.ini" | cut -d: -f1) matches none of the peer's names: peer=\"/O=Other/CN=intruder\" san=\"DNS:localhost,DNS:x.broker-1.example.net,URI:spiffe://example.net/broker/1/x,IP:10.9.0.7\" sha256=$(fp srv_bad | tr -d : | tr A-F a-f)" <<<"$out"
done
check "client: s_server got bad_certificate alerts" grep -qiE "alert bad certificate|alert number 42" "$WORK/sbad.log"

# ---- attls query and policy errors ----
out=$("$ATTLS" query "$WORK/s.ini" --direction inbound --local-port "$PCN")
check "attls query prints the allow_peer in force" grep -qx "  allow_peer: CN=broker-\* ($WORK/s.ini:$(at_line by_cn))" <<<"$out"
out=$("$ATTLS" query "$WORK/s.ini" --direction inbound --local-port "$PLVL")
check "... the level's, for a descriptor without its own" grep -qx "  allow_peer: CN=nobody, SAN:DNS=nowhere.example.net ($WORK/s.ini:$(line_of 'allow_peer = CN=nobody'))" <<<"$out"
policy "$WORK/bad.ini" <<EOF2
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
ca = @PKI@/ca.pem
[security none]
client_auth = none
[traffic a]
local_port = 1
keyring = k
allow_peer = XN=broker
[traffic b]
local_port = 2
keyring = k
allow_peer = SHA256:abcd
[traffic c]
local_port = 3
keyring = k
allow_peer = SAN:IP=10.1.0.0/33
[traffic d]
local_port = 4
keyring = k
allow_peer = SAN:DNS=bad..example.net
[traffic e]
direction = inbound
local_port = 5
keyring = k
security = none
allow_peer = CN=broker-a
EOF2
"$ATTLS" check "$WORK/bad.ini" >"$WORK/check.out" 2>&1
rc=$?
check "attls check exits 1 on bad allow_peer values" [ $rc -eq 1 ]
check "an unknown kind is FILE:LINE naming the key" grep -q "bad.ini:10: allow_peer: \"XN=broker\" is not one of" "$WORK/check.out"
check "a short SHA-256 is FILE:LINE" grep -q "bad.ini:14: allow_peer: \"SHA256:abcd\": SHA256: takes" "$WORK/check.out"
check "a bad CIDR is FILE:LINE" grep -q "bad.ini:18: allow_peer: \"SAN:IP=10.1.0.0/33\"" "$WORK/check.out"
check "an empty DNS label is FILE:LINE" grep -q "bad.ini:22: allow_peer: \"SAN:DNS=bad..example.net\": an empty label" "$WORK/check.out"
check "a server with client_auth = none and allow_peer is an error" grep -q "bad.ini:28: allow_peer: \[traffic e\] is a server with client_auth = none" "$WORK/check.out"
finish

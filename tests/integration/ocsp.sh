#!/usr/bin/env bash
# OCSP: a client under attls with ocsp = required-stapled and stapled
# against openssl s_server -status_file (good, revoked, none); a server
# under attls stapling its certificate's status for openssl s_client
# -status, from the responder named by its AIA (openssl ocsp -port), and
# serving without a staple when the responder is down; a client with
# ocsp = responder asking openssl ocsp -port (good, revoked, responder
# down, responder silent past ocsp_timeout or handshake_timeout); who may
# sign a response (the issuer, or a responder it delegated), stapled and
# fetched.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/revoke_pki.sh"
R=$WORK/rpki
OP=$(free_port)
make_revoke_pki "$R" "$OP" || { echo "cannot make the test CA"; exit 1; }
DEAD=$(free_port) # nothing listens here
resp() { # CERT OUT: a signed response for CERT, as a responder would send it
	openssl ocsp -index "$R/index.txt" -rsigner "$R/ca.pem" -rkey "$R/ca.key" -CA "$R/ca.pem" \
		-issuer "$R/ca.pem" -cert "$R/$1.pem" -no_nonce -ndays 1 -respout "$2" >/dev/null 2>&1
}
resp good "$WORK/good.der" && resp bad "$WORK/bad.der" || { echo "cannot make responses"; exit 1; }

# --- servers: good with a good staple, bad with its revoked staple, good with none
srv() { # PORT CERT [STATUS_FILE]
	bg timeout 120 openssl s_server -quiet -accept "$1" -cert "$R/$2.pem" -key "$R/$2.key" \
		-naccept 100 -rev ${3:+-status_file "$3"} >/dev/null 2>&1
}
SG=$(free_port); srv "$SG" good "$WORK/good.der"
SB=$(free_port); srv "$SB" bad "$WORK/bad.der"
SN=$(free_port); srv "$SN" good
SR=$(free_port); srv "$SR" bad
wait_port "$SG" && wait_port "$SB" && wait_port "$SN" && wait_port "$SR" || exit 1

cli_policy() { # FILE OCSP [EXTRA KEY LINES]
	cat >"$1" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 5s
[keyring k]
ca = $R/ca.pem
ocsp = $2
${3:-}
[traffic out]
direction = outbound
remote_port = $SG, $SB, $SN, $SR
server_name = localhost
keyring = k
EOF2
}
talk() { # POLICY PORT LOG: what the server (-rev) sends back to "hello"
	echo hello | timeout 15 env ATTLS_CONFIG="$1" LD_PRELOAD="$LIB" \
		socat -t 2 - "TCP:127.0.0.1:$2" 2>>"$3"
}
accepted() { grep -q olleh <<<"$(talk "$@")"; }
refused() { [ -z "$(talk "$@")" ]; }

cli_policy "$WORK/req.ini" required-stapled
L=$WORK/req.log
check "required-stapled: a good staple is accepted" accepted "$WORK/req.ini" "$SG" "$L"
check "required-stapled: a revoked staple is refused" refused "$WORK/req.ini" "$SB" "$L"
check "required-stapled: ATTLS022E says revoked" grep -q "ATTLS022E handshake failed.*revoked" "$L"
check "required-stapled: no staple is refused" refused "$WORK/req.ini" "$SN" "$L"
check "required-stapled: ATTLS022E says OCSP ... required-stapled" \
	grep -q "ATTLS022E handshake failed.*OCSP.*required-stapled" "$L"
for v in 1.2 1.3; do
	cli_policy "$WORK/req$v.ini" required-stapled "[security s]
protocols = TLSv$v"
	sed -i 's/^keyring = k$/keyring = k\nsecurity = s/' "$WORK/req$v.ini"
	check "required-stapled, TLS $v: good accepted, revoked and none refused" \
		bash -c "$(declare -f talk accepted refused); LIB='$LIB'; \
		accepted '$WORK/req$v.ini' $SG /dev/null && refused '$WORK/req$v.ini' $SB /dev/null && \
		refused '$WORK/req$v.ini' $SN /dev/null"
done

cli_policy "$WORK/st.ini" stapled
L=$WORK/st.log
check "stapled: a good staple is accepted" accepted "$WORK/st.ini" "$SG" "$L"
check "stapled: a revoked staple is refused" refused "$WORK/st.ini" "$SB" "$L"
check "stapled: no staple is accepted" accepted "$WORK/st.ini" "$SN" "$L"

cli_policy "$WORK/off.ini" off
check "ocsp = off: a revoked staple is not looked at" accepted "$WORK/off.ini" "$SB" /dev/null

# --- a local responder, as the AIA of every certificate names it
bg timeout 120 openssl ocsp -port "$OP" -index "$R/index.txt" -rsigner "$R/ca.pem" \
	-rkey "$R/ca.key" -CA "$R/ca.pem" -ndays 1 >"$WORK/responder.log" 2>&1
RESPONDER=$BGPID
wait_port "$OP" || exit 1

cli_policy "$WORK/rsp.ini" responder
L=$WORK/rsp.log
check "responder: a good certificate is accepted" accepted "$WORK/rsp.ini" "$SN" "$L"
check "responder: a revoked certificate is refused" refused "$WORK/rsp.ini" "$SR" "$L"
check "responder: ATTLS022E says revoked" grep -q "ATTLS022E handshake failed.*revoked: OCSP" "$L"
# attls's own request must not meet attls's hooks: with every outbound
# port under the policy (the responder's too), a request that went through
# them would be wrapped in TLS, and the responder would not answer.
sed 's/^remote_port = .*/remote_port = */' "$WORK/rsp.ini" >"$WORK/rsp_all.ini"
check "responder: attls's own request is not caught by a descriptor of every port" \
	accepted "$WORK/rsp_all.ini" "$SN" "$WORK/rsp_all.log"
cli_policy "$WORK/rsp_dead.ini" responder "ocsp_url = http://127.0.0.1:$DEAD/"
L=$WORK/rsp_dead.log
check "responder down (ocsp_url): refused" refused "$WORK/rsp_dead.ini" "$SN" "$L"
check "responder down: ATTLS022E says OCSP: no response" \
	grep -q "ATTLS022E handshake failed.*OCSP: no response.*127.0.0.1:$DEAD" "$L"
# A responder that takes the request and never answers: bounded by ocsp_timeout.
SIL=$(free_port)
bg timeout 60 python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $SIL)); s.listen(8)
held = []
while True:
    c, _ = s.accept(); held.append(c)
"
wait_port "$SIL" || exit 1
cli_policy "$WORK/rsp_sil.ini" responder "ocsp_url = http://127.0.0.1:$SIL/
ocsp_timeout = 1s"
L=$WORK/rsp_sil.log
t0=$(date +%s%N)
check "silent responder: refused" refused "$WORK/rsp_sil.ini" "$SN" "$L"
t1=$(date +%s%N)
check "silent responder: given up after ocsp_timeout (1s), before the handshake's 5s" \
	[ $(((t1 - t0) / 1000000)) -ge 900 -a $(((t1 - t0) / 1000000)) -lt 4500 ]
check "silent responder: ATTLS022E says no answer within 1000 ms" \
	grep -q "ATTLS022E handshake failed.*no answer from 127.0.0.1 port $SIL within 1000 ms" "$L"
# handshake_timeout bounds the wait too: a handshake of 2s, ocsp_timeout 15s.
cli_policy "$WORK/rsp_hs.ini" responder "ocsp_url = http://127.0.0.1:$SIL/
ocsp_timeout = 15s"
sed -i 's/^handshake_timeout = 5s$/handshake_timeout = 2s/' "$WORK/rsp_hs.ini"
L=$WORK/rsp_hs.log
t0=$(date +%s%N)
check "silent responder, ocsp_timeout 15s, handshake_timeout 2s: refused" \
	refused "$WORK/rsp_hs.ini" "$SN" "$L"
t1=$(date +%s%N)
check "silent responder: given up at handshake_timeout (2s), not ocsp_timeout (15s)" \
	[ $(((t1 - t0) / 1000000)) -ge 1500 -a $(((t1 - t0) / 1000000)) -lt 4500 ]
check "silent responder: ATTLS022E says the wait was cut to handshake_timeout" \
	grep -q "ATTLS022E handshake failed.*OCSP: no response.*port $SIL.*cut to what was left of handshake_timeout" "$L"
out=$("$ATTLS" check "$WORK/rsp_hs.ini" 2>&1)
check "attls check warns when ocsp_timeout is longer than handshake_timeout" \
	grep -q "rsp_hs.ini:[0-9]*: warning: \[keyring k\] ocsp_timeout (15000 ms) is longer than handshake_timeout (2000 ms)" <<<"$out"
out=$("$ATTLS" check "$WORK/rsp_sil.ini" 2>&1)
check "attls check: no such warning when ocsp_timeout is shorter" \
	bash -c '! grep -q "longer than handshake_timeout" <<<"$1"' _ "$out"

# --- who may sign a response (RFC 6960 4.2.2.2): the issuer, or a responder
# it delegated (issued by it, with OCSPSigning). Forged "good" responses for
# the revoked bad.pem, from the CA's index before it was revoked, signed by
# a plain leaf of the same CA (good.pem), and by an OCSP signer of another
# CA the client trusts too; a delegated responder of the CA is accepted.
awk -F'\t' 'BEGIN { OFS = "\t" } $1 == "R" { $1 = "V"; $3 = "" } { print }' \
	"$R/index.txt" >"$WORK/idxpre.txt"
echo "unique_subject = no" >"$WORK/idxpre.txt.attr" # two leaves are CN=localhost
O=$WORK/other
mkdir -p "$O"
printf 'extendedKeyUsage = OCSPSigning\nbasicConstraints = CA:FALSE\n' >"$WORK/ocspsign.ext"
(
	set -e
	openssl ecparam -name prime256v1 -genkey -noout -out "$O/ca.key" 2>/dev/null
	openssl req -x509 -new -key "$O/ca.key" -subj "/O=attls test/CN=other CA" -days 2 \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature -out "$O/ca.pem" 2>/dev/null
	signer() { # CA_DIR NAME CN: an OCSP signer issued by that CA
		openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/$2.key" 2>/dev/null
		openssl req -new -key "$WORK/$2.key" -subj "/O=attls test/CN=$3" -out "$WORK/$2.csr" \
			2>/dev/null
		openssl x509 -req -in "$WORK/$2.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" \
			-CAcreateserial -days 2 -extfile "$WORK/ocspsign.ext" -out "$WORK/$2.pem" 2>/dev/null
	}
	signer "$O" osign "other CA responder"
	signer "$R" dsign "delegated responder"
	# An intermediate CA under the CA, and its own OCSP signer.
	I=$WORK/inter
	mkdir -p "$I"
	openssl ecparam -name prime256v1 -genkey -noout -out "$I/ca.key" 2>/dev/null
	openssl req -new -key "$I/ca.key" -subj "/O=attls test/CN=inter CA" -out "$I/ca.csr" 2>/dev/null
	printf 'basicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n' \
		>"$I/ca.ext"
	openssl x509 -req -in "$I/ca.csr" -CA "$R/ca.pem" -CAkey "$R/ca.key" -CAcreateserial \
		-days 2 -extfile "$I/ca.ext" -out "$I/ca.pem" 2>/dev/null
	signer "$I" isign "inter CA responder"
) || { echo "cannot make the responders"; exit 1; }
cat "$R/ca.pem" "$O/ca.pem" "$WORK/inter/ca.pem" >"$WORK/two_cas.pem"
sresp() { # INDEX SIGNER CERT OUT
	openssl ocsp -index "$1" -rsigner "$WORK/$2.pem" -rkey "$WORK/$2.key" -CA "$R/ca.pem" \
		-issuer "$R/ca.pem" -cert "$R/$3.pem" -no_nonce -ndays 1 -respout "$4" >/dev/null 2>&1
}
cp "$R/good.pem" "$WORK/leaf.pem" && cp "$R/good.key" "$WORK/leaf.key" &&
	sresp "$WORK/idxpre.txt" leaf bad "$WORK/forged_leaf.der" &&
	sresp "$WORK/idxpre.txt" osign bad "$WORK/forged_other.der" &&
	sresp "$WORK/idxpre.txt" isign bad "$WORK/forged_inter.der" &&
	sresp "$R/index.txt" dsign good "$WORK/deleg_good.der" &&
	sresp "$R/index.txt" dsign bad "$WORK/deleg_bad.der" || { echo "cannot sign responses"; exit 1; }
SFL=$(free_port); srv "$SFL" bad "$WORK/forged_leaf.der"
SFO=$(free_port); srv "$SFO" bad "$WORK/forged_other.der"
SDG=$(free_port); srv "$SDG" good "$WORK/deleg_good.der"
SDB=$(free_port); srv "$SDB" bad "$WORK/deleg_bad.der"
SFI=$(free_port); srv "$SFI" bad "$WORK/forged_inter.der"
wait_port "$SFL" && wait_port "$SFO" && wait_port "$SDG" && wait_port "$SDB" && wait_port "$SFI" ||
	exit 1
signer_policy() { # FILE OCSP [EXTRA KEY LINES]: both CAs trusted, the ports above
	cli_policy "$1" "$2" "${3:-}"
	sed -i -e "s|^ca = .*|ca = $WORK/two_cas.pem|" \
		-e "s/^remote_port = .*/remote_port = $SFL, $SFO, $SFI, $SDG, $SDB, $SG, $SN, $SR/" "$1"
}
NOT_LEAF="signed by CN=localhost (no OCSPSigning), which is neither the issuer nor a responder it delegated"
NOT_OTHER="signed by CN=other CA responder (issued by another CA), which is neither the issuer nor a responder it delegated"
for v in 1.2 1.3; do
	for m in required-stapled stapled; do
		signer_policy "$WORK/sig$m$v.ini" "$m" "[security s]
protocols = TLSv$v"
		sed -i 's/^keyring = k$/keyring = k\nsecurity = s/' "$WORK/sig$m$v.ini"
		L=$WORK/sig$m$v.log
		check "$m, TLS $v: a staple signed by a plain leaf of the CA is refused" \
			refused "$WORK/sig$m$v.ini" "$SFL" "$L"
		check "$m, TLS $v: ATTLS022E says the leaf may not sign" \
			grep -q "ATTLS022E handshake failed.*OCSP: the response is $NOT_LEAF" "$L"
		check "$m, TLS $v: a staple signed by another CA's OCSP signer is refused" \
			refused "$WORK/sig$m$v.ini" "$SFO" "$L"
		check "$m, TLS $v: ATTLS022E says another CA's responder may not sign" \
			grep -q "ATTLS022E handshake failed.*OCSP: the response is $NOT_OTHER" "$L"
		check "$m, TLS $v: a good staple from the CA's delegated responder is accepted" \
			accepted "$WORK/sig$m$v.ini" "$SDG" "$L"
		check "$m, TLS $v: a revoked staple from the delegated responder is refused as revoked" \
			bash -c "$(declare -f talk refused); LIB='$LIB'; refused '$WORK/sig$m$v.ini' $SDB '$L' && \
			grep -q 'ATTLS022E handshake failed.*revoked' '$L'"
		check "$m, TLS $v: a good staple signed by the CA itself is accepted" \
			accepted "$WORK/sig$m$v.ini" "$SG" "$L"
	done
done
# ca holds the root and an intermediate under it: the intermediate's OCSP
# signer may not vouch for a certificate the root issued.
L=$WORK/sigrequired-stapled1.3.log
check "required-stapled: a staple signed by an intermediate's OCSP signer, for a root-issued certificate, is refused" \
	refused "$WORK/sigrequired-stapled1.3.ini" "$SFI" "$L"
check "required-stapled: ATTLS022E says the intermediate's responder may not sign" \
	grep -q "ATTLS022E handshake failed.*OCSP: the response is signed by CN=inter CA responder (issued by another CA)" "$L"
# The same signers as responders (ocsp = responder, ocsp_url).
rsp() { # PORT INDEX SIGNER
	bg timeout 120 openssl ocsp -port "$1" -index "$2" -rsigner "$WORK/$3.pem" \
		-rkey "$WORK/$3.key" -CA "$R/ca.pem" -ndays 1 >>"$WORK/responders.log" 2>&1
}
RFL=$(free_port); rsp "$RFL" "$WORK/idxpre.txt" leaf
RFO=$(free_port); rsp "$RFO" "$WORK/idxpre.txt" osign
RDG=$(free_port); rsp "$RDG" "$R/index.txt" dsign
wait_port "$RFL" && wait_port "$RFO" && wait_port "$RDG" || exit 1
signer_policy "$WORK/rfl.ini" responder "ocsp_url = http://127.0.0.1:$RFL/"
check "responder signing with a plain leaf of the CA: refused" refused "$WORK/rfl.ini" "$SR" \
	"$WORK/rfl.log"
check "responder signing with a plain leaf: ATTLS022E says why" \
	grep -q "ATTLS022E handshake failed.*OCSP: the response is $NOT_LEAF" "$WORK/rfl.log"
signer_policy "$WORK/rfo.ini" responder "ocsp_url = http://127.0.0.1:$RFO/"
check "responder signing with another CA's OCSP signer: refused" refused "$WORK/rfo.ini" "$SR" \
	"$WORK/rfo.log"
check "responder signing with another CA's OCSP signer: ATTLS022E says why" \
	grep -q "ATTLS022E handshake failed.*OCSP: the response is $NOT_OTHER" "$WORK/rfo.log"
signer_policy "$WORK/rdg.ini" responder "ocsp_url = http://127.0.0.1:$RDG/"
check "delegated responder: a good certificate is accepted" accepted "$WORK/rdg.ini" "$SN" \
	"$WORK/rdg.log"
check "delegated responder: a revoked certificate is refused as revoked" \
	refused "$WORK/rdg.ini" "$SR" "$WORK/rdg.log"
check "delegated responder: ATTLS022E says revoked" \
	grep -q "ATTLS022E handshake failed.*revoked: OCSP" "$WORK/rdg.log"

# --- a server under attls staples its own certificate's status
P=$(free_port)
Q=$(free_port)
cat >"$WORK/srv.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 5s
[keyring web]
cert = $R/good.pem
key = $R/good.key
ca = $R/ca.pem
ocsp_staple = yes
[keyring web_dead]
cert = $R/good.pem
key = $R/good.key
ca = $R/ca.pem
ocsp_staple = yes
ocsp_url = http://127.0.0.1:$DEAD/
[traffic web]
direction = inbound
local_port = $P
keyring = web
[traffic web_dead]
direction = inbound
local_port = $Q
keyring = web_dead
EOF2
mkdir -p "$WORK/www" && echo "hello over tls" >"$WORK/www/index.html"
serve_dir "$WORK/srv.ini" "$WORK/www" "$P" "$WORK/web.log" || exit 1
serve_dir "$WORK/srv.ini" "$WORK/www" "$Q" "$WORK/web_dead.log" || exit 1
has() { # PATTERN...: each is in $out
	local p
	for p; do grep -q -- "$p" <<<"$out" || return 1; done
}
status() { # PORT [TLS option]
	printf 'GET /index.html HTTP/1.0\r\n\r\n' | timeout 15 openssl s_client -status -ign_eof ${2:-} \
		-connect "127.0.0.1:$1" -servername localhost -CAfile "$R/ca.pem" 2>&1
}
for v in -tls1_2 -tls1_3; do
	out=$(status "$P" $v)
	check "staple ($v): s_client -status gets a good response" \
		has 'OCSP Response Status: successful' 'Cert Status: good'
	check "staple ($v): and the page" grep -q "hello over tls" <<<"$out"
done
# The responder gone, the response fetched before is still stapled (cached
# until its nextUpdate, a day on).
stop "$RESPONDER"
out=$(status "$P")
check "staple: cached (the responder is gone, the staple still comes)" \
	has 'Cert Status: good' 'hello over tls'
out=$(status "$Q")
check "staple, responder down: served without a staple" \
	has 'OCSP response: no response sent' 'hello over tls'
status "$Q" >/dev/null
check "staple, responder down: ATTLS072W said once" [ "$(grep -c ATTLS072W "$WORK/web_dead.log")" = 1 ]
# A client under attls requiring a staple, against the server under attls.
cat >"$WORK/both.ini" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
ca = $R/ca.pem
ocsp = required-stapled
[traffic out]
direction = outbound
remote_port = $P
server_name = localhost
keyring = k
EOF2
out=$(printf 'GET /index.html HTTP/1.0\r\n\r\n' | timeout 15 env ATTLS_CONFIG="$WORK/both.ini" \
	LD_PRELOAD="$LIB" socat -t 3 - "TCP:127.0.0.1:$P" 2>>"$WORK/both.log")
check "attls client (required-stapled) to attls server (ocsp_staple)" grep -q "hello over tls" <<<"$out"

# --- a staple refreshed before it expires: responders (python3, each
# response made by openssl ocsp -nmin 1: valid a minute, refreshed after
# half of it) that log each request, and fail (HTTP 500) once told to.
responder() { # PORT DIR: $DIR/requests gets a line per request; $DIR/fail makes it fail
	mkdir -p "$2"
	bg timeout 120 python3 -c '
import http.server, os, subprocess, sys
port, d, r = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        failing = os.path.exists(d + "/fail")
        with open(d + "/requests", "a") as f:
            f.write("failed\n" if failing else "served\n")
        if failing:
            self.send_error(500)
            return
        open(d + "/req.der", "wb").write(body)
        subprocess.run(["openssl", "ocsp", "-index", r + "/index.txt", "-rsigner", r + "/ca.pem",
                        "-rkey", r + "/ca.key", "-CA", r + "/ca.pem", "-reqin", d + "/req.der",
                        "-respout", d + "/resp.der", "-nmin", "1"], capture_output=True)
        out = open(d + "/resp.der", "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/ocsp-response")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
' "$1" "$2" "$R"
}
requests() { # DIR: how many requests its responder had
	[ -f "$1/requests" ] && wc -l <"$1/requests" || echo 0
}
this_update() { grep -m1 'This Update' <<<"$1"; }
RA=$(free_port); responder "$RA" "$WORK/ra"
RB=$(free_port); responder "$RB" "$WORK/rb"
wait_port "$RA" && wait_port "$RB" || exit 1
PA=$(free_port)
PB=$(free_port)
cat >"$WORK/refresh.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 5s
[keyring a]
cert = $R/good.pem
key = $R/good.key
ca = $R/ca.pem
ocsp_staple = yes
ocsp_url = http://127.0.0.1:$RA/
[keyring b]
cert = $R/good.pem
key = $R/good.key
ca = $R/ca.pem
ocsp_staple = yes
ocsp_url = http://127.0.0.1:$RB/
[traffic a]
direction = inbound
local_port = $PA
keyring = a
[traffic b]
direction = inbound
local_port = $PB
keyring = b
EOF2
serve_dir "$WORK/refresh.ini" "$WORK/www" "$PA" "$WORK/refresh_a.log" || exit 1
serve_dir "$WORK/refresh.ini" "$WORK/www" "$PB" "$WORK/refresh_b.log" || exit 1
t0=$(date +%s)
out=$(status "$PA")
first=$(this_update "$out")
check "refresh: the first staple is fetched" has 'Cert Status: good' 'hello over tls'
out=$(status "$PB")
check "refresh: the first staple is fetched (b)" has 'Cert Status: good'
touch "$WORK/rb/fail"
out=$(status "$PA")
check "refresh: before the refresh point, the kept staple is served, not fetched again" \
	eval 'has "Cert Status: good" && [ "$(requests "$WORK/ra")" = 1 ]'
# Past the refresh point (30 s), before the next update (60 s).
sleep $((t0 + 33 - $(date +%s)))
out=$(status "$PA")
check "refresh: past the refresh point a new response is fetched, before the next update" \
	eval '[ "$(requests "$WORK/ra")" = 2 ] && [ $(($(date +%s) - t0)) -lt 55 ]'
check "refresh: and stapled (a later This Update)" \
	eval 'has "Cert Status: good" && [ -n "$first" ] && [ "$(this_update "$out")" != "$first" ]'
out=$(status "$PA")
check "refresh: the new one is kept (no third request)" \
	eval 'has "Cert Status: good" && [ "$(requests "$WORK/ra")" = 2 ]'
out=$(status "$PB")
check "refresh failed: the still valid staple is served" has 'Cert Status: good' 'hello over tls'
check "refresh failed: it was tried" [ "$(requests "$WORK/rb")" = 2 ]
check "refresh failed: ATTLS072W says so" grep -q "ATTLS072W.*refresh failed" "$WORK/refresh_b.log"
out=$(status "$PB")
check "refresh failed: tried again at most once a minute, the staple still served" \
	eval 'has "Cert Status: good" && [ "$(requests "$WORK/rb")" = 2 ]'
check "refresh failed: ATTLS072W once" [ "$(grep -c ATTLS072W "$WORK/refresh_b.log")" = 1 ]

# --- policy errors
bad() { # NAME EXPECTED, the policy on stdin
	cat >"$WORK/$1.ini"
	out=$("$ATTLS" check "$WORK/$1.ini" 2>&1)
	check "attls check: $1" grep -q "$WORK/$1.ini:[0-9]*: $2" <<<"$out"
}
tail_="[traffic out]
direction = outbound
remote_port = 1
server_name = localhost
keyring = k"
printf '[keyring k]\nca = %s\nocsp = always\n%s\n' "$R/ca.pem" "$tail_" | bad ocsp_value 'ocsp: "always" is not one of off, stapled, required-stapled, responder'
printf '[keyring k]\nca = %s\nocsp_url = https://x/\n%s\n' "$R/ca.pem" "$tail_" | bad https_url 'ocsp_url: "https://x/" is not an http:// URL'
printf '[keyring k]\nca = %s\nocsp_timeout = 2m\n%s\n' "$R/ca.pem" "$tail_" | bad timeout 'ocsp_timeout: "2m" is not a duration from 1ms to 60s'
printf '[keyring k]\nca = %s\nocsp_staple = sure\n%s\n' "$R/ca.pem" "$tail_" | bad staple_value 'ocsp_staple: "sure" is not yes or no'
printf '[keyring k]\nca = %s\nocsp_staple = yes\n%s\n' "$R/ca.pem" "$tail_" | bad staple_no_cert 'ocsp_staple: \[keyring k\] has no cert'
printf '[keyring k]\nca = %s\ncrl = %s\nocsp = stapled\n%s\n' "$R/ca.pem" "$R/crl.pem" "$tail_" | bad crl_and_ocsp 'ocsp: \[keyring k\] has crl too'

finish

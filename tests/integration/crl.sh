#!/usr/bin/env bash
# CRLs: a server under attls refuses a revoked client certificate, a client
# under attls refuses a revoked server certificate (PEM, DER and a CRL
# directory), an expired CRL is refused by default and said by attls check,
# and a new CRL on disk is taken at the next connection (reload).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/revoke_pki.sh"
R=$WORK/rpki
make_revoke_pki "$R" "$(free_port)" || { echo "cannot make the test CA"; exit 1; }
make_expired_crl "$R" "$WORK/expired.pem" || { echo "cannot make an expired CRL"; exit 1; }
mkdir -p "$WORK/crldir" && cp "$R/crl.der" "$WORK/crldir/ca.crl" && echo "not a CRL" >"$WORK/crldir/README"
cp "$R/crl.pem" "$WORK/live.pem"

# --- a server under attls, client_auth = required, checks the client's certificate
P=$(free_port)
cat >"$WORK/srv.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 3s
[keyring web]
cert = $R/good.pem
key = $R/good.key
ca = $R/ca.pem
crl = $WORK/live.pem
[security mutual]
client_auth = required
[traffic web]
direction = inbound
local_port = $P
keyring = web
security = mutual
EOF2
mkdir -p "$WORK/www" && echo "hello over tls" >"$WORK/www/index.html"
serve_dir "$WORK/srv.ini" "$WORK/www" "$P" "$WORK/web.log" || exit 1
get() { # CERT: the page, fetched with that client certificate
	timeout 20 curl -sS --cacert "$R/ca.pem" --cert "$R/$1.pem" --key "$R/$1.key" \
		"https://localhost:$P/index.html" 2>/dev/null
}
check "server: a client with a good certificate is served" [ "$(get client)" = "hello over tls" ]
check "server: a client with a revoked certificate is refused" [ -z "$(get rclient)" ]
# The server logs after the client has seen the alert: a moment to write it.
for _ in $(seq 30); do grep -q "ATTLS022E handshake failed.*revoked" "$WORK/web.log" && break; sleep 0.1; done
check "server: ATTLS022E says revoked" grep -q "ATTLS022E handshake failed.*revoked" "$WORK/web.log"

# --- crl_expired = warn, a CRL that expires while in force (8 s): used on,
# said once when it has
openssl ca -batch -config "$R/ca.cnf" -gencrl -crlexts crl_ext -crlsec 8 -out "$WORK/short.pem" \
	>/dev/null 2>&1
t0=$(date +%s)
PW=$(free_port)
sed -e "s|^crl = .*|crl = $WORK/short.pem\ncrl_expired = warn|" -e "s|^local_port = .*|local_port = $PW|" \
	"$WORK/srv.ini" >"$WORK/srv_warn.ini"
serve_dir "$WORK/srv_warn.ini" "$WORK/www" "$PW" "$WORK/web_warn.log" || exit 1
getw() { # CERT: the page from the warn server
	timeout 20 curl -sS --cacert "$R/ca.pem" --cert "$R/$1.pem" --key "$R/$1.key" \
		"https://localhost:$PW/index.html" 2>/dev/null
}
check "warn, current CRL: the good client is served, nothing said" \
	eval '[ "$(getw client)" = "hello over tls" ] && ! grep -q ATTLS025W "$WORK/web_warn.log"'
sleep $((t0 + 10 - $(date +%s)))
check "warn, CRL expired since the load: the good client is still served" \
	[ "$(getw client)" = "hello over tls" ]
check "warn, CRL expired since the load: the revoked client is still refused" \
	[ -z "$(getw rclient)" ]
check "warn, CRL expired since the load: ATTLS025W says it passed its next update, used anyway" \
	grep -q "ATTLS025W.*passed its next update.*while in force: used anyway" "$WORK/web_warn.log"
getw client >/dev/null
check "warn, CRL expired since the load: said once" [ "$(grep -c ATTLS025W "$WORK/web_warn.log")" = 1 ]

# --- reload: a new CRL renamed into place (here, an expired one) is taken
sleep 1.1
cp "$WORK/expired.pem" "$WORK/new.pem" && mv "$WORK/new.pem" "$WORK/live.pem"
get client >/dev/null # the first connection after the change loads it
check "reload: the new CRL is taken (the good client is now refused: CRL expired)" \
	[ -z "$(get client)" ]
check "reload: ATTLS022E says CRL expired" grep -q "ATTLS022E handshake failed.*CRL expired" "$WORK/web.log"
check "reload: ATTLS025W names the expired CRL" grep -q "ATTLS025W.*$WORK/live.pem" "$WORK/web.log"
sleep 1.1
cp "$R/crl.pem" "$WORK/new.pem" && mv "$WORK/new.pem" "$WORK/live.pem"
get client >/dev/null
check "reload: a current CRL again serves the good client" [ "$(get client)" = "hello over tls" ]

# --- a session resumed skips the certificate check: a new CRL must not
# let a ticket from before it resume (TLS 1.3 and 1.2)
sclient() { # VERSION [SESSION-IN]: "New"/"Reused" and the page, client's certificate
	local in=()
	[ -n "${2:-}" ] && in=(-sess_in "$WORK/sess$1")
	(printf 'GET /index.html HTTP/1.0\r\n\r\n'; sleep 1) | timeout 10 openssl s_client \
		-connect "127.0.0.1:$P" -servername localhost -CAfile "$R/ca.pem" -tls$1 \
		-cert "$R/client.pem" -key "$R/client.key" "${in[@]}" -sess_out "$WORK/sess$1" 2>&1 |
		grep -oE '^(New|Reused), TLSv1\.[23]|hello over tls' | tr '\n' ' '
}
for v in 1_3 1_2; do
	sclient $v >/dev/null
	check "resumption ($v): under the same CRL a session resumes" \
		[ "$(sclient $v in)" = "Reused, TLSv1.${v#1_} hello over tls " ]
done
sleep 1.1
openssl ca -batch -config "$R/ca.cnf" -revoke "$R/client.pem" >/dev/null 2>&1
openssl ca -batch -config "$R/ca.cnf" -gencrl -crlexts crl_ext -out "$WORK/new.pem" >/dev/null 2>&1
mv "$WORK/new.pem" "$WORK/live.pem"
get client >/dev/null
for v in 1_3 1_2; do
	check "resumption ($v): after a new CRL revokes the client, its session does not resume" \
		eval '! grep -q "hello over tls" <<<"$(sclient $v in)"'
done

# --- a client under attls checks the server's certificate
S=$(free_port)
bg timeout 60 openssl s_server -quiet -accept "$S" -cert "$R/good.pem" -key "$R/good.key" \
	-naccept 100 -rev >/dev/null 2>&1
GOOD=$BGPID
T=$(free_port)
bg timeout 60 openssl s_server -quiet -accept "$T" -cert "$R/bad.pem" -key "$R/bad.key" \
	-naccept 100 -rev >/dev/null 2>&1
wait_port "$S" && wait_port "$T" || exit 1
cli_policy() { # FILE CRL [KEYRING-LINE]
	cat >"$1" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 3s
[keyring k]
ca = $R/ca.pem
crl = $2
${3:-}
[traffic out]
direction = outbound
remote_port = $S, $T
server_name = localhost
keyring = k
EOF2
}
talk() { # POLICY PORT LOG: what the server (-rev) sends back to "hello"
	echo hello | timeout 10 env ATTLS_CONFIG="$1" LD_PRELOAD="$LIB" \
		socat -t 2 - "TCP:127.0.0.1:$2" 2>>"$3"
}
for kind in pem der dir; do
	case $kind in
	pem) crl=$R/crl.pem ;;
	der) crl=$R/crl.der ;;
	dir) crl=$WORK/crldir ;;
	esac
	cli_policy "$WORK/c_$kind.ini" "$crl"
	check "client ($kind CRL): a good server certificate is accepted" \
		grep -q olleh <<<"$(talk "$WORK/c_$kind.ini" "$S" "$WORK/c_$kind.log")"
	check "client ($kind CRL): a revoked server certificate is refused" \
		[ -z "$(talk "$WORK/c_$kind.ini" "$T" "$WORK/c_$kind.log")" ]
	check "client ($kind CRL): ATTLS022E says revoked" \
		grep -q "ATTLS022E handshake failed.*revoked" "$WORK/c_$kind.log"
done

# --- a PEM file that holds two CRLs of the one CA: both are read, the
# newer decides (wolfSSL alone would take the first and drop the other)
mkdir -p "$WORK/r0"
sed "s|^dir = .*|dir = $WORK/r0|" "$R/ca.cnf" >"$WORK/r0/ca.cnf"
cp "$R/ca.pem" "$R/ca.key" "$R/crlnumber" "$WORK/r0/"
: >"$WORK/r0/index.txt"
openssl ca -batch -config "$WORK/r0/ca.cnf" -gencrl -crlexts crl_ext -out "$WORK/empty.pem" \
	>/dev/null 2>&1 # an older CRL that revokes nothing
sleep 1.1
openssl ca -batch -config "$R/ca.cnf" -gencrl -crlexts crl_ext -out "$WORK/newer.pem" >/dev/null 2>&1
cat "$WORK/empty.pem" "$WORK/newer.pem" >"$WORK/two.pem"
cli_policy "$WORK/c_two.ini" "$WORK/two.pem"
check "two CRLs in one PEM file (the older first): a revoked server certificate is refused" \
	[ -z "$(talk "$WORK/c_two.ini" "$T" "$WORK/c_two.log")" ]
check "two CRLs in one PEM file: a good one is accepted" \
	grep -q olleh <<<"$(talk "$WORK/c_two.ini" "$S" "$WORK/c_two.log")"
cat "$WORK/newer.pem" "$WORK/empty.pem" >"$WORK/two_rev.pem"
cli_policy "$WORK/c_tworev.ini" "$WORK/two_rev.pem"
check "two CRLs in one PEM file, the newer first: the revoked one is still refused" \
	[ -z "$(talk "$WORK/c_tworev.ini" "$T" "$WORK/c_tworev.log")" ]
mkdir -p "$WORK/crl_order"
cp "$WORK/newer.pem" "$WORK/crl_order/a.pem" && cp "$WORK/empty.pem" "$WORK/crl_order/b.pem"
cli_policy "$WORK/c_order.ini" "$WORK/crl_order"
check "a CRL directory whose older CRL comes last: the revoked one is still refused" \
	[ -z "$(talk "$WORK/c_order.ini" "$T" "$WORK/c_order.log")" ]

# --- an intermediate CA in ca (a trust anchor, so a chain that leaves it
# out is never checked above it) that the root's CRL revokes: the policy
# does not load; the same intermediate not revoked: it loads
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/int.key" 2>/dev/null
openssl req -new -key "$WORK/int.key" -subj "/O=attls test/CN=intermediate CA" \
	-out "$WORK/int.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$WORK/int.ext"
openssl x509 -req -in "$WORK/int.csr" -CA "$R/ca.pem" -CAkey "$R/ca.key" -set_serial 0x7777 \
	-days 2 -extfile "$WORK/int.ext" -out "$WORK/int.pem" 2>/dev/null
mkdir -p "$WORK/ri"
sed "s|^dir = .*|dir = $WORK/ri|" "$R/ca.cnf" >"$WORK/ri/ca.cnf"
cp "$WORK/int.pem" "$WORK/ri/ca.pem" && cp "$WORK/int.key" "$WORK/ri/ca.key"
: >"$WORK/ri/index.txt" && echo 1000 >"$WORK/ri/crlnumber"
openssl ca -batch -config "$WORK/ri/ca.cnf" -gencrl -crlexts crl_ext -out "$WORK/int.crl" >/dev/null 2>&1
cat "$R/ca.pem" "$WORK/int.pem" >"$WORK/bundle.pem"
mkdir -p "$WORK/crl_ok" "$WORK/crl_rev"
cp "$WORK/empty.pem" "$WORK/crl_ok/root.pem" && cp "$WORK/int.crl" "$WORK/crl_ok/int.pem"
openssl ca -batch -config "$R/ca.cnf" -revoke "$WORK/int.pem" >/dev/null 2>&1
openssl ca -batch -config "$R/ca.cnf" -gencrl -crlexts crl_ext -out "$WORK/crl_rev/root.pem" >/dev/null 2>&1
cp "$WORK/int.crl" "$WORK/crl_rev/int.pem"
for k in ok rev; do
	cat >"$WORK/int_$k.ini" <<EOF2
[keyring k]
ca = $WORK/bundle.pem
crl = $WORK/crl_$k
[traffic out]
direction = outbound
remote_port = 1
server_name = localhost
keyring = k
EOF2
done
out=$("$ATTLS" check "$WORK/int_ok.ini" 2>&1)
check "an intermediate CA in ca, not revoked: the policy loads" grep -q ": ok:" <<<"$out"
out=$("$ATTLS" check "$WORK/int_rev.ini" 2>&1)
check "an intermediate CA in ca that the root's CRL revokes: the policy does not load, and says which" \
	grep -q "int_rev.ini:3: crl: the CA /O=attls test/CN=intermediate CA of ca ($WORK/bundle.pem) is revoked" <<<"$out"

# --- an expired CRL is refused by default
cli_policy "$WORK/c_exp.ini" "$WORK/expired.pem"
check "expired CRL: a good server certificate is refused" \
	[ -z "$(talk "$WORK/c_exp.ini" "$S" "$WORK/c_exp.log")" ]
check "expired CRL: ATTLS022E says CRL expired" \
	grep -q "ATTLS022E handshake failed.*CRL expired" "$WORK/c_exp.log"
out=$("$ATTLS" check "$WORK/c_exp.ini" 2>&1)
check "expired CRL: attls check says so, as a counted warning at the crl line" \
	bash -c 'grep -q "c_exp.ini:6: warning: \[keyring k\] crl: CRL expired: $1" <<<"$2" && grep -q "c_exp.ini: [0-9]* warnings*$" <<<"$2"' \
	_ "$WORK/expired.pem" "$out"
"$ATTLS" check --strict "$WORK/c_exp.ini" >/dev/null 2>&1
check "expired CRL: attls check --strict exits 1 ($?)" [ $? = 1 ]
out=$("$ATTLS" check "$WORK/c_pem.ini" 2>&1)
check "attls check: a current CRL is ok and not called expired" \
	eval 'grep -q ": ok:" <<<"$out" && ! grep -q expired <<<"$out"'

# --- crl_expired = warn: the expired CRL (verified) is still looked up
cli_policy "$WORK/c_warn.ini" "$WORK/expired.pem" "crl_expired = warn"
check "warn: a server certificate the expired CRL does not list is accepted" \
	grep -q olleh <<<"$(talk "$WORK/c_warn.ini" "$S" "$WORK/c_warn_good.log")"
check "warn: ATTLS025W says the expired CRL is used anyway" \
	grep -q "ATTLS025W.*$WORK/expired.pem.*used anyway" "$WORK/c_warn_good.log"
check "warn: ATTLS025W once in the process's load" \
	[ "$(grep -c ATTLS025W "$WORK/c_warn_good.log")" = 1 ]
check "warn: a server certificate the expired CRL lists is refused" \
	[ -z "$(talk "$WORK/c_warn.ini" "$T" "$WORK/c_warn_bad.log")" ]
check "warn: ATTLS022E says revoked" \
	grep -q "ATTLS022E handshake failed.*revoked" "$WORK/c_warn_bad.log"
out=$("$ATTLS" check "$WORK/c_warn.ini" 2>&1)
check "warn: attls check says the expired CRL is used anyway, at the crl line" \
	grep -q "c_warn.ini:6: warning: \[keyring k\] crl: CRL expired: $WORK/expired.pem.*used anyway" <<<"$out"
"$ATTLS" check --strict "$WORK/c_warn.ini" >/dev/null 2>&1
check "warn: attls check --strict exits 1 ($?)" [ $? = 1 ]
# The same expired CRL with one byte of its signature changed, and an
# expired CRL of another CA under the same name: never used.
openssl crl -in "$WORK/expired.pem" -outform DER -out "$WORK/forged.der"
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 1
open(sys.argv[1], "wb").write(b)' "$WORK/forged.der"
cli_policy "$WORK/c_forged.ini" "$WORK/forged.der" "crl_expired = warn"
out=$("$ATTLS" check "$WORK/c_forged.ini" 2>&1)
check "warn: an expired CRL whose signature does not verify is a policy error" \
	grep -q "c_forged.ini:[0-9]*: crl: cannot load the CRL $WORK/forged.der (its signature does not verify" <<<"$out"
check "warn: a policy with a forged expired CRL does not connect" \
	[ -z "$(talk "$WORK/c_forged.ini" "$S" "$WORK/c_forged.log")" ]

# --- policy errors, each with its line and key
bad() { # NAME EXPECTED, the policy on stdin
	cat >"$WORK/$1.ini"
	out=$("$ATTLS" check "$WORK/$1.ini" 2>&1)
	check "attls check: $1" grep -q "$WORK/$1.ini:[0-9]*: $2" <<<"$out"
}
base="[keyring k]
ca = $R/ca.pem"
tail_="[traffic out]
direction = outbound
remote_port = $S
server_name = localhost
keyring = k"
printf '%s\ncrl = crl.pem\n%s\n' "$base" "$tail_" | bad relative 'crl: "crl.pem" is not an absolute path'
printf '%s\ncrl = %s\ncrl_expired = warn\n%s\n' "$base" "$R/crl.pem" "$tail_" >"$WORK/warn_ok.ini"
out=$("$ATTLS" check "$WORK/warn_ok.ini" 2>&1)
check "attls check: crl_expired = warn with a current CRL is ok" \
	eval 'grep -q ": ok:" <<<"$out" && ! grep -q expired <<<"$out"'
printf '%s\ncrl = %s\ncrl_expired = maybe\n%s\n' "$base" "$R/crl.pem" "$tail_" | bad expired_value 'crl_expired: "maybe" is not one of refuse, warn'
printf '[keyring k]\ncert = %s\nkey = %s\ncrl = %s\n%s\n' "$R/good.pem" "$R/good.key" "$R/crl.pem" "$tail_" | bad no_ca 'crl: \[keyring k\] has no ca'
printf '%s\ncrl = %s\n%s\n' "$base" "$R/ca.pem" "$tail_" | bad not_crl "crl: $R/ca.pem holds no CRL"
# A CRL whose issuer is not a CA of the key ring.
O=$WORK/other
make_revoke_pki "$O" 1 >/dev/null
printf '%s\ncrl = %s\n%s\n' "$base" "$O/crl.pem" "$tail_" | bad foreign_crl "crl: cannot load the CRL $O/crl.pem (its issuer is not among the CAs of ca)"
make_expired_crl "$O" "$WORK/other_expired.pem"
printf '%s\ncrl = %s\ncrl_expired = warn\n%s\n' "$base" "$WORK/other_expired.pem" "$tail_" |
	bad foreign_expired_warn "crl: cannot load the CRL $WORK/other_expired.pem"
chmod 666 "$WORK/crldir/ca.crl"
printf '%s\ncrl = %s\n%s\n' "$base" "$WORK/crldir" "$tail_" | bad writable_crl "crl: $WORK/crldir/ca.crl has mode 0666"
chmod 644 "$WORK/crldir/ca.crl"

stop "$GOOD"
finish

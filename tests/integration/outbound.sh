#!/usr/bin/env bash
# Outbound: curl speaking plain HTTP under attls reaches openssl s_server
# over TLS. A wrong CA, a wrong name, an expired certificate and a peer that
# speaks clear text are refused, and the program's data never reaches them:
# recorders keep every byte that arrives.
source "$(dirname "$0")/lib.sh"
make_pki
PY=$(dirname "$0")/py
P=$(free_port) BADCA=$(free_port) BADNAME=$(free_port) EXPIRED=$(free_port) PLAIN=$(free_port)
policy "$WORK/p.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 2s
[keyring partner]
ca = @PKI@/ca.pem
[traffic partner]
direction = outbound
remote_port = $P, $BADCA, $BADNAME, $EXPIRED, $PLAIN
server_name = localhost
keyring = partner
EOF2
bg openssl s_server -accept "$P" -cert "$PKI/server.pem" -key "$PKI/server.key" -www -quiet
bg python3 "$PY/recorder.py" "$BADCA" "$WORK/badca.rec" --tls "$PKI/stranger.pem" "$PKI/stranger.key"
bg python3 "$PY/recorder.py" "$BADNAME" "$WORK/badname.rec" --tls "$PKI/wrongname.pem" "$PKI/wrongname.key"
bg python3 "$PY/recorder.py" "$EXPIRED" "$WORK/expired.rec" --tls "$PKI/expired.pem" "$PKI/expired.key"
bg python3 "$PY/recorder.py" "$PLAIN" "$WORK/plain.rec"
for p in $P $BADCA $BADNAME $EXPIRED $PLAIN; do wait_port "$p" || exit 1; done

out=$(under "$WORK/p.ini" curl -sS "http://127.0.0.1:$P/")
check "curl http:// under attls reaches s_server over TLS" grep -q "Ciphers supported in s_server" <<<"$out"
check "s_server saw TLS 1.3 with SNI localhost" grep -q "TLSv1.3" <<<"$out"

SECRET="attls-secret-$RANDOM$RANDOM"
for case in badca:unknown-CA badname:wrong-name expired:expired plain:clear-text; do
	port_var=$(tr a-z A-Z <<<"${case%%:*}")
	port=${!port_var}
	rec="$WORK/${case%%:*}.rec"
	under "$WORK/p.ini" curl -sS -d "$SECRET" "http://127.0.0.1:$port/" >"$WORK/c.out" 2>"$WORK/c.err"
	rc=$?
	check "${case#*:} peer: curl's connection is refused (exit $rc)" [ $rc -ne 0 ]
	check "${case#*:} peer: the refusal names the descriptor" grep -q "ATTLS02[23]E.*rule=partner" "$WORK/c.err"
	check "${case#*:} peer: something arrived (a TLS ClientHello)" \
		python3 -c "import sys; d=open('$rec','rb').read(); sys.exit(not d.startswith(b'\x16\x03'))"
	check "${case#*:} peer: none of the program's clear text reached it" \
		bash -c "! grep -qa -e '$SECRET' -e 'POST' '$rec'"
done
check "the expired certificate is named as the reason" grep -q "certificate has expired" <(under "$WORK/p.ini" curl -sS "http://127.0.0.1:$EXPIRED/" 2>&1)
check "the wrong name is named as the reason" grep -q "does not name server_name" <(under "$WORK/p.ini" curl -sS "http://127.0.0.1:$BADNAME/" 2>&1)
check "a clear-text peer is named as the reason" grep -q "handshake timed out" "$WORK/c.err"
finish

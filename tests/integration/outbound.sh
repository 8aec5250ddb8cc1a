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
check "the wrong name is named as the reason, with the name expected and the certificate's names" \
	grep -q "ATTLS022E.*rule=partner: the server's certificate does not name \"localhost\" (server_name): it names CN=elsewhere.test, DNS:elsewhere.test$" \
	<(under "$WORK/p.ini" curl -sS "http://127.0.0.1:$BADNAME/" 2>&1)
check "a clear-text peer is named as the reason" grep -q "handshake timed out" "$WORK/c.err"

# Servers that do not speak TLS at all: the client's log line says what
# they answered, a line of clear text quoted, bytes that are not text in
# hex; a real TLS alert keeps its own words. python3's http.server answers
# the ClientHello with an HTTP/0.9 error page, socat's "echo hello" with a
# line, py/hangup_peer.py with bytes given.
HTTPD=$(free_port) HELLO=$(free_port) GARBAGE=$(free_port) ALERT=$(free_port) IPNAME=$(free_port)
policy "$WORK/c.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 3s
[keyring partner]
ca = @PKI@/ca.pem
[traffic toplain]
direction = outbound
remote_port = $HTTPD, $HELLO, $GARBAGE, $ALERT
server_name = localhost
keyring = partner
[traffic partner]
direction = outbound
remote_port = $IPNAME
server_name = partner.example.net
keyring = partner
EOF2
bg python3 -m http.server --bind 127.0.0.1 "$HTTPD"
bg socat "TCP-LISTEN:$HELLO,bind=127.0.0.1,reuseaddr,fork" SYSTEM:'echo hello'
bg python3 "$PY/hangup_peer.py" "$GARBAGE" --say 00ff7f80fe0102030405060708090a0b0c0d0e0f10111213
bg python3 "$PY/hangup_peer.py" "$ALERT" --say 15030300020228
bg openssl s_server -accept "$IPNAME" -cert "$PKI/server.pem" -key "$PKI/server.key" -www -quiet
for p in $HTTPD $HELLO $GARBAGE $ALERT $IPNAME; do wait_port "$p" || exit 1; done
for p in HTTPD HELLO GARBAGE ALERT IPNAME; do
	under "$WORK/c.ini" curl -sS "http://127.0.0.1:${!p}/" >"$WORK/$p.out" 2>&1
	echo "exit $?" >>"$WORK/$p.out"
done
check "http.server (clear text): refused, the log quotes what it answered" \
	bash -c "! grep -q '^exit 0' '$WORK/HTTPD.out' && grep -q 'ATTLS022E.*rule=toplain: the server does not speak TLS: it answered with \"<!DOCTYPE HTML>\" (clear text)\$' '$WORK/HTTPD.out'"
check "socat echo hello (clear text): the log quotes its line" \
	grep -q 'ATTLS022E.*rule=toplain: the server does not speak TLS: it answered with "hello" (clear text)$' "$WORK/HELLO.out"
check "bytes that are not text: the log shows 16 of them in hex, as garbage" \
	grep -q 'ATTLS022E.*rule=toplain: the server does not speak TLS: it answered with 00 ff 7f 80 fe 01 02 03 04 05 06 07 08 09 0a 0b ... (garbage)$' "$WORK/GARBAGE.out"
check "a real TLS alert is not called clear text or garbage" \
	bash -c "grep -q 'ATTLS022E.*rule=toplain: the peer sent a fatal alert' '$WORK/ALERT.out' && ! grep -q 'does not speak TLS' '$WORK/ALERT.out'"
check "wolfSSL's raw words are not the reason" bash -c "! grep -q 'record layer\|(-3[0-9][0-9])' '$WORK'/{HTTPD,HELLO,GARBAGE}.out"
check "a certificate for localhost and 127.0.0.1, server_name partner.example.net: both named, IP SAN included" \
	grep -q "ATTLS022E.*rule=partner: the server's certificate does not name \"partner.example.net\" (server_name): it names CN=localhost, DNS:localhost, IP:127.0.0.1$" "$WORK/IPNAME.out"

# No protocol version in common, attls the client: its log line names what
# it offered and what the server did. Real servers that speak another
# version: s_server refuses with a protocol_version alert, gnutls-serv at
# TLS 1.2 only (it ignores supported_versions then) answers a TLS 1.2
# ServerHello, py/hangup_peer.py closes after the ClientHello without a
# word. Two refusals that are not about versions keep their own words.
command -v gnutls-serv >/dev/null || { echo "outbound.sh: gnutls-serv is not installed (make deps)"; exit 1; }
V13=$(free_port) V12=$(free_port) CHOSE=$(free_port) HANG=$(free_port) SAID=$(free_port)
NOSUITE=$(free_port)
policy "$WORK/v.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 3s
[keyring partner]
ca = @PKI@/ca.pem
[security t13]
protocols = TLSv1.3
[security t12]
protocols = TLSv1.2
[traffic only13]
direction = outbound
remote_port = $V13, $CHOSE, $HANG, $SAID
server_name = localhost
keyring = partner
security = t13
[traffic only12]
direction = outbound
remote_port = $V12
server_name = localhost
keyring = partner
security = t12
[traffic both]
direction = outbound
remote_port = $NOSUITE
server_name = localhost
keyring = partner
EOF2
bg openssl s_server -accept "$V13" -cert "$PKI/server.pem" -key "$PKI/server.key" -www -quiet -tls1_2
bg openssl s_server -accept "$V12" -cert "$PKI/server.pem" -key "$PKI/server.key" -www -quiet -tls1_3
bg gnutls-serv -a -p "$CHOSE" --x509certfile "$PKI/server.pem" --x509keyfile "$PKI/server.key" \
	--priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2' >/dev/null 2>&1
bg python3 "$PY/hangup_peer.py" "$HANG"
bg python3 "$PY/hangup_peer.py" "$SAID" --say 1603030040020000
bg openssl s_server -accept "$NOSUITE" -cert "$PKI/server.pem" -key "$PKI/server.key" -www -quiet \
	-tls1_2 -cipher AES128-SHA
for p in $V13 $V12 $CHOSE $HANG $SAID $NOSUITE; do wait_port "$p" || exit 1; done
for p in V13 V12 CHOSE HANG SAID NOSUITE; do
	under "$WORK/v.ini" curl -sS "http://127.0.0.1:${!p}/" >"$WORK/$p.out" 2>&1
	echo "exit $?" >>"$WORK/$p.out"
done
check "attls at TLS 1.3 only, s_server at TLS 1.2 only: refused, the log says the server refused TLSv1.3" \
	bash -c "! grep -q '^exit 0' '$WORK/V13.out' && grep -q 'ATTLS022E.*rule=only13: no protocol version in common: the server refused every version offered (TLSv1.3, as the descriptor.s security level allows (protocols)) with a protocol_version alert' '$WORK/V13.out'"
check "attls at TLS 1.2 only, s_server at TLS 1.3 only: the log says the server refused TLSv1.2" \
	grep -q "ATTLS022E.*rule=only12: no protocol version in common: the server refused every version offered (TLSv1.2, as the descriptor's security level allows (protocols))" "$WORK/V12.out"
check "attls at TLS 1.3 only, gnutls-serv answers TLS 1.2: the log names the version chosen and the level's" \
	bash -c "! grep -q '^exit 0' '$WORK/CHOSE.out' && grep -q 'ATTLS022E.*rule=only13: no protocol version in common: the server chose TLSv1.2, the descriptor.s security level allows TLSv1.3 (protocols)' '$WORK/CHOSE.out'"
check "a server that closes after the ClientHello without a word: closed, and a version mismatch named as a possible cause" \
	grep -q "ATTLS022E.*rule=only13: the peer closed the connection before answering the ClientHello (a server that speaks none of the versions offered, TLSv1.3 as" "$WORK/HANG.out"
check "a server that began an answer (half a record), then closed: \"the peer closed the connection\", no word of versions" \
	bash -c "grep -q 'ATTLS022E.*rule=only13: the peer closed the connection' '$WORK/SAID.out' && ! grep -q 'version' '$WORK/SAID.out'"
check "a server with no cipher suite in common (handshake_failure alert): its alert, no word of versions" \
	bash -c "grep -q 'ATTLS022E.*rule=both: the peer sent a fatal alert' '$WORK/NOSUITE.out' && ! grep -q 'protocol version' '$WORK/NOSUITE.out'"
finish

#!/usr/bin/env bash
# What stays clear text and what must not: a clear-text peer on a TLS port
# is refused; a port that matches nothing passes bytes unchanged; a program
# with its own TLS (curl https://) keeps working under attls.
source "$(dirname "$0")/lib.sh"
make_pki
P=$(free_port) N=$(free_port) S=$(free_port)
policy "$WORK/p.ini" <<EOF2
[global]
trace = error-stderr, error, info, flow
handshake_timeout = 2s
[keyring web]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic web]
direction = inbound
local_port = $P
keyring = web
EOF2
mkdir -p "$WORK/www"
head -c 1000000 /dev/urandom >"$WORK/www/data.bin"
serve_dir "$WORK/p.ini" "$WORK/www" "$P" "$WORK/tls.log" || exit 1
serve_dir "$WORK/p.ini" "$WORK/www" "$N" "$WORK/plain.log" || exit 1
bg openssl s_server -accept "$S" -cert "$PKI/server.pem" -key "$PKI/server.key" -www -quiet
wait_port "$S" || exit 1

# A clear-text request to the TLS port: refused, and the program never sees it.
reply=$(printf 'GET /data.bin HTTP/1.0\r\n\r\n' | timeout 10 python3 -c "
import socket,sys
s=socket.create_connection(('127.0.0.1',$P)); s.sendall(sys.stdin.buffer.read())
s.settimeout(5); d=b''
try:
    while True:
        c=s.recv(65536)
        if not c: break
        d+=c
except Exception: pass
sys.stdout.write(repr(d[:40]))")
check "a clear-text peer gets no clear-text answer" bash -c "! grep -q 'HTTP/1' <<<\"$reply\""
sleep 0.3
check "the program never saw the clear-text request" bash -c "! grep -q 'GET /data.bin' '$WORK/tls.log'"
check "the refusal is logged: the peer does not speak TLS" grep -q "ATTLS022E.*does not speak TLS" "$WORK/tls.log"

# A port that matches nothing: clear text, byte for byte.
timeout 20 curl -sS -o "$WORK/plain.bin" "http://127.0.0.1:$N/data.bin"
check "a port that matches nothing passes clear text unchanged" cmp -s "$WORK/www/data.bin" "$WORK/plain.bin"

# An OpenSSL program keeps its own TLS on a port that matches nothing.
out=$(under "$WORK/p.ini" curl -sS --cacert "$PKI/ca.pem" "https://localhost:$S/")
check "curl https:// (OpenSSL) under attls keeps its own TLS" grep -q "Ciphers supported in s_server" <<<"$out"
out=$(under "$WORK/p.ini" python3 -c "
import ssl,urllib.request
ctx=ssl.create_default_context(cafile='$PKI/ca.pem')
print(urllib.request.urlopen('https://localhost:$S/', context=ctx).read()[:200])")
check "python3's ssl (OpenSSL) under attls keeps its own TLS" grep -q "s_server" <<<"$out"
finish

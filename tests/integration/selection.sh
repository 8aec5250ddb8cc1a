#!/usr/bin/env bash
# Selection by job name and by user: the same program on the same port is
# wrapped in TLS or left alone according to who runs it.
source "$(dirname "$0")/lib.sh"
make_pki
ME=$(id -un)
P1=$(free_port) P2=$(free_port)
policy "$WORK/p.ini" <<EOF2
[global]
trace = error-stderr, error
[keyring web]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic by_job]
direction = inbound
local_port = $P1
jobname = WI02*
keyring = web
[traffic by_user]
direction = inbound
local_port = $P2
user = $ME
keyring = web
[traffic other_user]
direction = inbound
local_port = $P2
user = nosuchuser-attls
keyring = web
priority = 50
EOF2
mkdir -p "$WORK/www" && echo "page" >"$WORK/www/index.html"

serve() { serve_dir "$WORK/p.ini" "$WORK/www" "$1" "$WORK/srv.log" "$2"; }
tls_ok() { [ "$(timeout 10 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$1/index.html")" = page ]; }
clear_ok() { [ "$(timeout 10 curl -sS "http://127.0.0.1:$1/index.html")" = page ]; }

serve "$P1" WI02BRK
check "job WI02BRK matches jobname = WI02*: TLS" tls_ok "$P1"
stop "$BGPID"
serve "$P1" OTHERJOB
check "job OTHERJOB does not: clear text" clear_ok "$P1"
stop "$BGPID"
serve "$P2" any
check "user $ME matches user = $ME: TLS" tls_ok "$P2"
stop "$BGPID"
out=$("$ATTLS" query "$WORK/p.ini" --direction inbound --local-port "$P2" --user nosuchuser-attls)
check "attls query: another user maps to the higher priority descriptor" grep -q "match: other_user" <<<"$out"
out=$("$ATTLS" query "$WORK/p.ini" --direction inbound --local-port "$P1" --jobname OTHERJOB)
rc=$?
check "attls query: no match exits 1" [ $rc -eq 1 ]
finish

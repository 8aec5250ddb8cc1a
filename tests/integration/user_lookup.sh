#!/usr/bin/env bash
# A user criterion whose look-up fails: when the user's name cannot be
# learned (an NSS source that errs), a connection a `user = NAME` rule
# could cover is refused, never sent in clear text; a user entry too long
# for a small buffer is looked up again with a larger one.
source "$(dirname "$0")/lib.sh"
make_pki
PY=$(dirname "$0")/py
PWLIB="$TOP/build/libpwfault.so"
ME=$(id -un)
P=$(free_port) PLAIN=$(free_port) OTHER=$(free_port)
policy "$WORK/p.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 2s
[keyring partner]
ca = @PKI@/ca.pem
[traffic by_user]
direction = outbound
remote_port = $P, $PLAIN
user = $ME
server_name = localhost
keyring = partner
[traffic by_uid]
direction = outbound
remote_port = $OTHER
user = $(id -u)
server_name = localhost
keyring = partner
EOF2
bg openssl s_server -accept "$P" -cert "$PKI/server.pem" -key "$PKI/server.key" -www -quiet
bg python3 "$PY/recorder.py" "$PLAIN" "$WORK/plain.rec"
bg python3 "$PY/recorder.py" "$OTHER" "$WORK/other.rec"
for p in $P $PLAIN $OTHER; do wait_port "$p" || exit 1; done
faulty() {
	local mode=$1
	shift
	timeout 30 env ATTLS_CONFIG="$WORK/p.ini" PW_FAULT="$mode" LD_PRELOAD="$LIB $PWLIB" "$@"
}

SECRET="attls-secret-$RANDOM$RANDOM"
faulty eio curl -sS -d "$SECRET" "http://127.0.0.1:$PLAIN/" >"$WORK/c.out" 2>"$WORK/c.err"
rc=$?
check "look-up fails (EIO): the connect a user rule could cover is refused (curl exit $rc)" [ $rc -ne 0 ]
check "look-up fails: none of the program's clear text left" \
	bash -c "! grep -qa -e '$SECRET' -e 'POST' '$WORK/plain.rec'"
check "look-up fails: the log says why" grep -q "user look-up failed (Input/output error)" "$WORK/c.err"
faulty eio curl -sS -d "$SECRET" "http://127.0.0.1:$OTHER/" >"$WORK/c.out" 2>"$WORK/c.err"
check "look-up fails: a rule on a numeric uid still decides (TLS, no clear text)" \
	bash -c "! grep -qa -e '$SECRET' -e 'POST' '$WORK/other.rec' && head -c2 '$WORK/other.rec' | od -An -tx1 | grep -q '16 03'"
out=$(faulty erange curl -sS "http://127.0.0.1:$P/")
check "a user entry too long for 1 KiB: looked up again, the rule matches, TLS" \
	grep -q "Ciphers supported in s_server" <<<"$out"
out=$(under "$WORK/p.ini" curl -sS "http://127.0.0.1:$P/")
check "without faults the user rule matches: TLS" grep -q "Ciphers supported in s_server" <<<"$out"
finish

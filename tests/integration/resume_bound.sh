#!/usr/bin/env bash
# Sessions bound to what their handshake proved. One server process has
# three descriptors: "open" (client_auth = none), "locked" (client_auth =
# required, the same CA) and "other" (required, another CA); a second
# process has the same three and shares the ticket_key_file. A session
# from one descriptor resumes only where the security level, the CA and
# client_auth are the same: elsewhere the client gets a full handshake and,
# without a certificate the descriptor trusts, is refused. TLS 1.3
# resumption always has a fresh key exchange (psk_dhe_ke).
source "$(dirname "$0")/lib.sh"
make_pki
for v in O1 L1 X1 O2 L2 X2; do printf -v "$v" '%s' "$(free_port)"; done
"$ATTLS" ticket-key new "$WORK/ticket.key" >/dev/null || exit 1
policy "$WORK/p.ini" <<EOF2
[global]
trace = error-stderr, error
ticket_key_file = $WORK/ticket.key
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
ca = @PKI@/ca.pem
[keyring k2]
cert = @PKI@/server.pem
key = @PKI@/server.key
ca = @PKI@/otherca.pem
[security req]
client_auth = required
[traffic open]
direction = inbound
local_port = $O1, $O2
keyring = k
[traffic locked]
direction = inbound
local_port = $L1, $L2
keyring = k
security = req
[traffic other]
direction = inbound
local_port = $X1, $X2
keyring = k2
security = req
EOF2
mkdir -p "$WORK/www"
echo hi >"$WORK/www/index.html"
serve() {
	(cd "$WORK/www" && exec env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" \
		python3 "$TOP/tests/integration/py/multi_http.py" "$@" >>"$WORK/server.log" 2>&1) &
	PIDS+=("$!")
	local p
	for p in "$@"; do wait_port "$p" || return 1; done
}
serve "$O1" "$L1" "$X1" || exit 1
serve "$O2" "$L2" "$X2" || exit 1

# PORT NAME [SESSION-IN [OPTIONS...]]: one request with openssl s_client,
# the session kept as $WORK/sess.NAME. Prints "New" or "Reused", then
# "page" if the page came, else "refused".
req() {
	local port=$1 name=$2 in=() out r
	[ -n "${3:-}" ] && in=(-sess_in "$WORK/sess.$3")
	shift $(($# < 3 ? $# : 3))
	out=$( (printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1) | timeout 10 openssl s_client \
		-connect "127.0.0.1:$port" -CAfile "$PKI/ca.pem" -verify_return_error \
		"${in[@]}" -sess_out "$WORK/sess.$name" "$@" 2>&1)
	r=$(grep -oE '^(New|Reused),' <<<"$out" | head -1 | tr -d ,)
	if grep -q '^hi$' <<<"$out"; then echo "${r:-none} page"; else echo "${r:-none} refused"; fi
}
cert=(-cert "$PKI/client.pem" -key "$PKI/client.key")

say "TLS 1.3 tickets"
check "a full handshake at the open descriptor: $(req "$O1" o13 | tee "$WORK/r")" \
	grep -qx "New page" "$WORK/r"
check "the open descriptor resumes it: $(req "$O1" x "o13" | tee "$WORK/r")" \
	grep -qx "Reused page" "$WORK/r"
check "the open descriptor of the other process resumes it: $(req "$O2" x o13 | tee "$WORK/r")" \
	grep -qx "Reused page" "$WORK/r"
check "the locked descriptor does not, and refuses the client: $(req "$L1" x o13 | tee "$WORK/r")" \
	grep -qx "New refused" "$WORK/r"
check "nor the locked descriptor of the other process: $(req "$L2" x o13 | tee "$WORK/r")" \
	grep -qx "New refused" "$WORK/r"
check "a client with a certificate at the locked descriptor: $(req "$L1" l13 "" "${cert[@]}" | tee "$WORK/r")" \
	grep -qx "New page" "$WORK/r"
check "which resumes there, in either process: $(req "$L2" x l13 "${cert[@]}" | tee "$WORK/r")" \
	grep -qx "Reused page" "$WORK/r"
check "a descriptor trusting another CA does not take it: $(req "$X1" x l13 "${cert[@]}" | tee "$WORK/r")" \
	grep -qx "New refused" "$WORK/r"
check "nor in the other process: $(req "$X2" x l13 "${cert[@]}" | tee "$WORK/r")" \
	grep -qx "New refused" "$WORK/r"

say "TLS 1.2 tickets"
check "a full handshake at the open descriptor: $(req "$O1" o12 "" -tls1_2 | tee "$WORK/r")" \
	grep -qx "New page" "$WORK/r"
check "the open descriptor of the other process resumes it: $(req "$O2" x o12 -tls1_2 | tee "$WORK/r")" \
	grep -qx "Reused page" "$WORK/r"
check "the locked descriptor does not: $(req "$L1" x o12 -tls1_2 | tee "$WORK/r")" \
	grep -qx "New refused" "$WORK/r"
check "nor the other process's: $(req "$L2" x o12 -tls1_2 | tee "$WORK/r")" \
	grep -qx "New refused" "$WORK/r"
req "$L1" l12 "" -tls1_2 "${cert[@]}" >/dev/null
check "a descriptor trusting another CA does not take one from the locked one: $(req "$X1" x l12 -tls1_2 "${cert[@]}" | tee "$WORK/r")" \
	grep -qx "New refused" "$WORK/r"

say "TLS 1.2 session ids"
# A session id is looked up in a cache that is the whole process's: none
# is issued (openssl then keeps no session), or it must not open a door.
# offered PORT SESSION [OPTIONS...]: "none" if there is no session to offer.
offered() {
	local port=$1 sess=$2
	shift 2
	if [ -s "$WORK/sess.$sess" ]; then req "$port" x "$sess" -tls1_2 -no_ticket "$@"; else echo none; fi
}
check "a full handshake at the open descriptor: $(req "$O1" s12 "" -tls1_2 -no_ticket | tee "$WORK/r")" \
	grep -qx "New page" "$WORK/r"
check "the locked descriptor of the same process does not resume it: $(offered "$L1" s12 | tee "$WORK/r")" \
	grep -qxE "none|New refused" "$WORK/r"
req "$L1" ls12 "" -tls1_2 -no_ticket "${cert[@]}" >/dev/null
check "nor does a descriptor trusting another CA take one from the locked one: $(offered "$X1" ls12 "${cert[@]}" | tee "$WORK/r")" \
	grep -qxE "none|New refused" "$WORK/r"

say "TLS 1.3 resumption with a fresh key exchange only"
cc -o "$WORK/psk_ke" "$TOP/tests/integration/c/psk_ke.c" -lwolfssl || exit 1
out=$(timeout 20 "$WORK/psk_ke" "$O1" "$PKI/ca.pem")
check "psk_dhe_ke resumes, a psk_ke-only offer gets a full handshake: $out" \
	[ "$out" = "New Reused New" ]
finish

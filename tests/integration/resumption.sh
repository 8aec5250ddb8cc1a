#!/usr/bin/env bash
# Session resumption. Two server processes that share a ticket_key_file
# resume each other's sessions, the second started after the file was
# rotated; without it each keeps its own. A client under attls resumes its
# session with openssl s_server on its next connection. Ticket key files
# that are stale, of the old format or someone else's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
make_pki
A=$(free_port)
B=$(free_port)
C=$(free_port)
D=$(free_port)
S=$(free_port)
# A key file last rotated five hours ago.
"$ATTLS" ticket-key new "$WORK/ticket.key" >/dev/null || exit 1
hour=$(($(date +%s) / 3600))
sed -i "s/^attls-ticket-key 1 [0-9]* /attls-ticket-key 1 $((hour - 5)) /" "$WORK/ticket.key"
in_out_policy "$WORK/shared.ini" "$A, $B" "$S" "ticket_key_file = $WORK/ticket.key"
in_out_policy "$WORK/own.ini" "$C, $D" "$S"
mkdir -p "$WORK/www"
echo hi >"$WORK/www/index.html"
serve_dir "$WORK/shared.ini" "$WORK/www" "$A" "$WORK/shared.log" || exit 1
check "a key file not rotated for five hours loads with a warning" \
	grep -q "ATTLS080W .*ticket.key: last rotated 5 hours ago" "$WORK/shared.log"
out=$("$ATTLS" ticket-key rotate "$WORK/ticket.key")
check "attls ticket-key rotate moves it to the hour before now: $out" \
	grep -q "^attls-ticket-key 1 $((hour - 1)) [0-9a-f]\{64\}\$" "$WORK/ticket.key"
check "and keeps it private" [ "$(stat -c %a "$WORK/ticket.key")" = 600 ]
# Through a symbolic link, rotate would replace the link and leave the
# shared file behind: it is refused, and the file is untouched.
"$ATTLS" ticket-key new "$WORK/linked.key" >/dev/null
sed -i "s/^attls-ticket-key 1 [0-9]* /attls-ticket-key 1 $((hour - 5)) /" "$WORK/linked.key"
ln -s "$WORK/linked.key" "$WORK/link.key"
before=$(cat "$WORK/linked.key")
out=$("$ATTLS" ticket-key rotate "$WORK/link.key" 2>&1)
check "rotate through a symbolic link is refused: $out" \
	bash -c "[ -L '$WORK/link.key' ] && [ \"\$(cat '$WORK/linked.key')\" = '$before' ] && grep -q 'is a symbolic link' <<<'$out'"
serve_dir "$WORK/shared.ini" "$WORK/www" "$B" "$WORK/shared.log" || exit 1
for p in $C $D; do serve_dir "$WORK/own.ini" "$WORK/www" "$p" "$WORK/own.log" || exit 1; done

# PORT [SESSION-IN [OPTION]]: one request with openssl s_client; prints
# "New" or "Reused" and the protocol. The session goes to $WORK/sess.PORT.
s_client() {
	local in=() out=(-sess_out "$WORK/sess.$1")
	[ -n "${2:-}" ] && in=(-sess_in "$WORK/sess.$2")
	(printf 'GET / HTTP/1.0\r\n\r\n'; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$1" \
		-CAfile "$PKI/ca.pem" -verify_return_error "${in[@]}" "${out[@]}" ${3:-} 2>&1 |
		grep -oE '^(New|Reused), TLSv1\.[23]'
}
first=$(s_client "$A")
check "a first connection is a full handshake ($first)" [ "$first" = "New, TLSv1.3" ]
again=$(s_client "$A" "$A")
check "the same server resumes it: openssl s_client says $again" [ "$again" = "Reused, TLSv1.3" ]
other=$(s_client "$B" "$A")
check "another process, started from the rotated file, resumes it: $other" [ "$other" = "Reused, TLSv1.3" ]
s_client "$C" >/dev/null
own=$(s_client "$C" "$C")
check "without ticket_key_file a process resumes its own sessions: $own" [ "$own" = "Reused, TLSv1.3" ]
apart=$(s_client "$D" "$C")
check "without ticket_key_file another process does not: $apart" [ "$apart" = "New, TLSv1.3" ]
s_client "$A" "" -tls1_2 >/dev/null
tls12=$(s_client "$B" "$A" -tls1_2)
check "TLS 1.2 session tickets resume across the two processes too: $tls12" [ "$tls12" = "Reused, TLSv1.2" ]

# Client side: two connections from one process; openssl s_server's page
# tells whether each was resumed.
bg openssl s_server -accept "$S" -cert "$PKI/server.pem" -key "$PKI/server.key" -www
wait_port "$S" || exit 1
out=$(under "$WORK/shared.ini" curl -sS "http://localhost:$S/" "http://localhost:$S/" |
	grep -oE '^(New|Reused), TLSv1\.3' | tr '\n' ' ')
check "a client under attls resumes on its next connection: $out" [ "$out" = "New, TLSv1.3 Reused, TLSv1.3 " ]

# Many short connections, one after another and from threads at once:
# every session attls offers must be one the server accepts (a session
# copied before its ticket arrived makes OpenSSL refuse the binder). The
# "noread" connections only connect, write and close, so their tickets
# arrive, if at all, while they close.
gcc -O1 -Wall -Werror -pthread -o "$WORK/short_conns" "$TOP/tests/integration/c/short_conns.c" || exit 1
for shape in "1 100" "8 10" "8 10 nonblock"; do
	out=$(under "$WORK/shared.ini" "$WORK/short_conns" "$S" $shape 2>"$WORK/short.err")
	check "short connections to openssl s_server, $shape (threads, each): $out" \
		bash -c "grep -q ' failed=0 ' <<<'$out' && [ \$(sed 's/.*reused=//' <<<'$out') -ge 50 ]"
done
for shape in "16 10 noread" "16 10 noread"; do
	out=$(under "$WORK/shared.ini" "$WORK/short_conns" "$S" $shape 2>"$WORK/short.err")
	check "short connections to openssl s_server, $shape: $out" grep -q " failed=0 " <<<"$out"
done
grep -v "^$" "$WORK/short.err" | sort | uniq -c | head -5 >&2

# Bad ticket key files are refused when the policy loads.
head -c 32 /dev/urandom >"$WORK/old.key"
chmod 600 "$WORK/old.key"
in_out_policy "$WORK/old.ini" "$A" "$S" "ticket_key_file = $WORK/old.key"
out=$("$ATTLS" check "$WORK/old.ini" 2>&1)
check "a ticket_key_file of the old format (32 random bytes) is refused at load" \
	grep -q "old.ini:3: ticket_key_file: .*old.key: not an attls ticket key file.*attls ticket-key new" <<<"$out"
cp "$WORK/ticket.key" "$WORK/foreign.key"
chown 1:1 "$WORK/foreign.key"
chmod 600 "$WORK/foreign.key"
in_out_policy "$WORK/foreign.ini" "$A" "$S" "ticket_key_file = $WORK/foreign.key"
out=$("$ATTLS" check "$WORK/foreign.ini" 2>&1)
check "a ticket_key_file of mode 0600 owned by another user is refused at load" \
	grep -q "foreign.ini:3: ticket_key_file: .*foreign.key is owned by uid 1" <<<"$out"
chmod 644 "$WORK/ticket.key"
out=$("$ATTLS" check "$WORK/shared.ini" 2>&1)
check "a ticket_key_file readable by others is refused at load" grep -q "shared.ini:3: .*mode 0644" <<<"$out"
finish

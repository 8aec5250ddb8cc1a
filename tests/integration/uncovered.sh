#!/usr/bin/env bash
# attls status --uncovered: a set-user-ID program (secure-execution mode)
# started with LD_PRELOAD=/path/libattls.so runs without attls (ld.so
# ignores a preload path there) and serves clear text on a covered port;
# attls status names its pid, program and port and exits 1, and lists
# neither a listener under attls on another covered port nor one on a port
# no descriptor covers. Then the README's cover for such children: the
# library, set-user-ID, in a trusted directory and preloaded by its name
# alone, does load in secure-execution mode (in a private mount namespace,
# so the host's directories are not touched), serves TLS with the default
# policy, and attls status no longer names it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
make_pki
S=$(free_port) # the escaped set-user-ID listener
A=$(free_port) # a listener under attls
U=$(free_port) # a port no descriptor covers
T=$(free_port) # the set-user-ID listener with the library from a trusted directory
O=$(free_port) # a clear-text server that programs must reach over TLS
server_policy "$WORK/p.ini" "$S" "$A" "$T"
printf '[traffic out_%s]\ndirection = outbound\nremote_port = %s\nserver_name = localhost\nkeyring = srv\n' \
	"$O" "$O" >>"$WORK/p.ini"
# One peer of the escaped port may talk in clear: the port is still
# covered for every other peer, so its listener is still named.
printf '[traffic partner]\nlocal_port = %s\nremote_addr = 192.0.2.1\nenabled = no\n' "$S" >>"$WORK/p.ini"
chmod 755 "$WORK"
cp /usr/bin/socat "$WORK/escaped_socat"
chown nobody "$WORK/escaped_socat"
chmod 4755 "$WORK/escaped_socat"

bg env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" "$WORK/escaped_socat" \
	TCP-LISTEN:"$S",bind=127.0.0.1,reuseaddr,fork PIPE 2>"$WORK/escaped.err"
ESCAPED=$BGPID
bg env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" socat \
	TCP-LISTEN:"$A",bind=127.0.0.1,reuseaddr,fork PIPE
UNDER=$BGPID
bg socat TCP-LISTEN:"$U",bind=127.0.0.1,reuseaddr,fork PIPE
OTHER=$BGPID
bg socat TCP-LISTEN:"$O",bind=127.0.0.1,reuseaddr,fork PIPE
PEER=$BGPID
wait_port "$S" && wait_port "$A" && wait_port "$U" && wait_port "$O" || exit 1

check "the set-user-ID copy runs as nobody, started by root" \
	[ "$(awk '/^Uid:/ {print $2, $3}' "/proc/$ESCAPED/status")" = "0 $(id -u nobody)" ]
check "ld.so did not load attls into it" bash -c "! grep -q libattls.so /proc/$ESCAPED/maps"
check "attls is loaded into the other listener" grep -q libattls.so "/proc/$UNDER/maps"
out=$( (echo "clear line"; sleep 1) | timeout 10 socat -t 2 - TCP:127.0.0.1:"$S" 2>/dev/null)
check "the escaped listener serves clear text on a covered port" grep -qx "clear line" <<<"$out"
out=$( (echo "tls line"; sleep 1) | timeout 10 openssl s_client -quiet -verify_return_error \
	-connect "127.0.0.1:$A" -servername localhost -CAfile "$PKI/ca.pem" 2>/dev/null)
check "the listener under attls serves TLS" grep -qx "tls line" <<<"$out"

# A clear-text connection held open to the escaped listener: its child
# holds the accepted end.
bg bash -c 'sleep 8 | exec socat -t 8 - TCP:127.0.0.1:"$1"' x "$S"
HOLD=$BGPID
# And a client without attls connected to the port the outbound
# descriptor covers.
bg socat -T 8 EXEC:"sleep 8" TCP:127.0.0.1:"$O"
CLIENT=$BGPID
for ((i = 0; i < 100; i++)); do
	[ -n "$(ss -Htn state established "sport = :$S")" ] &&
		[ -n "$(ss -Htn state established "dport = :$O")" ] && break
	sleep 0.05
done
"$ATTLS" status --uncovered --config "$WORK/p.ini" >"$WORK/status.out" 2>"$WORK/status.err"
rc=$?
cat "$WORK/status.out"
check "attls status --uncovered exits 1 when it finds one (rc $rc)" [ "$rc" = 1 ]
check "it names the escaped listener's pid, user, program and port, and the descriptor" \
	grep -Eq "^$ESCAPED +nobody +escaped_socat +127\.0\.0\.1:$S +\* +listen +in_$S\$" \
	"$WORK/status.out"
child=$(awk -v s=":$S" '$4 ~ s"$" && $6 == "established" {print $1}' "$WORK/status.out")
check "and the accepted connection, held by its child ($child), inbound by that port" \
	[ -n "$child" ] && [ "$(awk '{print $4}' "/proc/$child/stat" 2>/dev/null)" = "$ESCAPED" ]
check "not the client's end: outbound to that port, which no descriptor covers" \
	[ "$(grep -c ":$S " "$WORK/status.out")" = 2 ]
check "the client connected to the outbound port, by its remote port" \
	grep -Eq "^$CLIENT +root +socat +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:$O +established +out_$O\$" \
	"$WORK/status.out"
check "not the server's end of it: inbound, which no descriptor covers" \
	[ -z "$(awk -v o=":$O" 'substr($4, length($4) - length(o) + 1) == o' "$WORK/status.out")" ]
stop "$HOLD"
stop "$CLIENT"
check "it lists nothing else of ours: not the listener under attls" \
	bash -c "! grep -q ':$A ' '$WORK/status.out'"
check "... nor the port no descriptor covers" bash -c "! grep -q ':$U ' '$WORK/status.out'"
"$ATTLS" status --uncovered --config "$WORK/p.ini" --json >"$WORK/status.json" 2>/dev/null
check "--json says the same, and that it runs in secure-execution mode" \
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
port = lambda u: u["local"].rsplit(":", 1)[1]
mine = [u for u in d["uncovered"] if port(u) in sys.argv[3:6]]
assert all(port(u) == sys.argv[3] for u in mine), mine
listen = [u for u in mine if u["state"] == "listen"]
assert len(listen) == 1, mine
u = listen[0]
assert u["pid"] == int(sys.argv[2]) and u["program"] == "escaped_socat", u
assert u["user"] == "nobody" and u["direction"] == "inbound" and u["secure_exec"], u
assert u["descriptor"] == "in_" + sys.argv[3] and u["local"] == "127.0.0.1:" + sys.argv[3], u
' "$WORK/status.json" "$ESCAPED" "$S" "$A" "$U"
ATTLS_CONFIG="$WORK/p.ini" "$ATTLS" status --uncovered >/dev/null 2>&1
check "ATTLS_CONFIG names the policy when --config does not" [ $? = 1 ]

printf '[global]\ntrace = loud\n' >"$WORK/bad.ini"
"$ATTLS" status --uncovered --config "$WORK/bad.ini" >/dev/null 2>"$WORK/bad.err"
rc=$?
check "a policy with an error: exit 2 (rc $rc), the error as FILE:LINE" \
	[ "$rc" = 2 ] && grep -q "^$WORK/bad.ini:2: " "$WORK/bad.err"

# As a user: the set-user-ID process and root's are not readable, and
# the command says which, and that it cannot tell (2), not "none" (0).
setpriv --reuid=nobody --regid=nogroup --clear-groups "$ATTLS" status --uncovered \
	--config "$WORK/p.ini" >"$WORK/user.out" 2>"$WORK/user.err"
rc=$?
check "as a user it cannot tell (rc $rc)" [ "$rc" = 2 ]
check "as a user it names the processes it could not read" \
	grep -q "could not be read.* $ESCAPED (escaped_socat)" "$WORK/user.err"
check "as a user its output does not say plainly that there are none" \
	bash -c "! grep -qx 'no uncovered sockets' '$WORK/user.out'"
stop "$ESCAPED"
"$ATTLS" status --uncovered --config "$WORK/p.ini" >"$WORK/status2.out" 2>&1
rc=$?
check "once it is gone, it is not listed" bash -c "! grep -q ':$S ' '$WORK/status2.out'"
# Others' processes on this host may hold covered ports of their own: only
# when this host has none does the exit status say 0.
if ! grep -q '^[0-9]' "$WORK/status2.out"; then
	check "none left: exit 0 (rc $rc)" [ "$rc" = 0 ]
fi

# The cover: libattls.so with the set-user-ID bit in a trusted directory,
# LD_PRELOAD=libattls.so. In secure-execution mode attls reads only the
# default policy, /etc/attls/attls.ini, as the user the program runs as
# (nobody here: its key is nobody's).
mkdir -p "$WORK/trusted" "$WORK/etc/attls"
cp "$LIB" "$WORK/trusted/libattls.so"
chmod 4755 "$WORK/trusted/libattls.so"
cp "$PKI/server.key" "$WORK/nobody.key"
chown nobody "$WORK/nobody.key"
chmod 755 "$PKI"
sed "s|^key = .*|key = $WORK/nobody.key|" "$WORK/p.ini" >"$WORK/etc/attls/attls.ini"
cp "$WORK/escaped_socat" "$WORK/covered_socat"
chown nobody "$WORK/covered_socat"
chmod 4755 "$WORK/covered_socat"
# inns CMD...: CMD in a private mount namespace where the trusted
# directory holds the library and /etc/attls/attls.ini is the test's.
cat >"$WORK/inns" <<'SH'
#!/bin/bash
work=$(dirname "$0")
mount -t overlay overlay -o lowerdir="$work/trusted:/usr/lib/x86_64-linux-gnu" \
	/usr/lib/x86_64-linux-gnu && mount -t overlay overlay -o lowerdir="$work/etc:/etc" /etc &&
	exec "$@"
SH
chmod 755 "$WORK/inns"
bg unshare -m "$WORK/inns" env LD_PRELOAD=libattls.so "$WORK/covered_socat" \
	TCP-LISTEN:"$T",bind=127.0.0.1,reuseaddr,fork PIPE 2>"$WORK/covered.err"
COVERED=$BGPID
wait_port "$T" || exit 1
check "a name without a slash: the set-user-ID library is loaded in secure-execution mode" \
	grep -q "/usr/lib/x86_64-linux-gnu/libattls.so" "/proc/$COVERED/maps"
out=$( (echo "tls line"; sleep 1) | timeout 10 openssl s_client -quiet -verify_return_error \
	-connect "127.0.0.1:$T" -servername localhost -CAfile "$PKI/ca.pem" 2>/dev/null)
check "it serves TLS with the default policy" grep -qx "tls line" <<<"$out"
out=$( (echo "clear line"; sleep 1) | timeout 10 socat -t 2 - TCP:127.0.0.1:"$T" 2>/dev/null)
check "and nothing in clear to a clear-text client" [ -z "$out" ]
"$ATTLS" status --uncovered --config "$WORK/p.ini" >"$WORK/status3.out" 2>&1
check "attls status does not name it" bash -c "! grep -q ':$T ' '$WORK/status3.out'"
stop "$COVERED"
# Without the set-user-ID bit, or by its path, ld.so does not load it.
cp /bin/cat "$WORK/suid_cat"
chown nobody "$WORK/suid_cat"
chmod 4755 "$WORK/suid_cat"
# loaded PRELOAD: whether ld.so maps libattls.so into the set-user-ID cat.
loaded() {
	unshare -m "$WORK/inns" env LD_PRELOAD="$1" "$WORK/suid_cat" /proc/self/maps 2>/dev/null |
		grep -q libattls.so
}
check "by its name alone: loaded" loaded libattls.so
check "the same library by its path: not loaded" \
	bash -c "$(declare -f loaded); WORK=$WORK; ! loaded /usr/lib/x86_64-linux-gnu/libattls.so"
chmod 755 "$WORK/trusted/libattls.so"
check "without the set-user-ID bit, by its name: not loaded" \
	bash -c "$(declare -f loaded); WORK=$WORK; ! loaded libattls.so"
stop "$UNDER"
stop "$OTHER"
stop "$PEER"
finish

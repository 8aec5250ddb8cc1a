#!/usr/bin/env bash
# attls check warns, without failing (--strict makes them errors), about
# what loads but will fail or does nothing: certificates expired or ending
# within 30 days (the key ring's chain and its CAs), RSA keys under 2048
# bits, SHA-1 signatures, a server certificate without subjectAltName or
# not naming a server-only descriptor's server_name, descriptors shadowed by
# one that wins over them, key rings and security levels nothing uses.
# direction = both over a key ring fit for one role is an error that says
# which direction to set. Each warning is FILE:LINE: warning: ...
source "$(dirname "$0")/lib.sh"
D=$WORK/certs
mkdir -p "$D"
(
	cd "$D" || exit 1
	ec() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null && chmod 600 "$1"; }
	# root NAME CN DAYS [SIGOPT]
	root() {
		ec "$1.key"
		openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days "$3" ${4:-} \
			-addext basicConstraints=critical,CA:TRUE -out "$1.pem" 2>/dev/null
	}
	# leaf NAME CA DAYS SAN [KEYOPT] [SIGOPT]: SAN "" for none
	leaf() {
		if [ -n "${5:-}" ]; then
			openssl req -new -newkey "$5" -nodes -keyout "$1.key" -subj "/CN=localhost" \
				-out "$1.csr" 2>/dev/null
			chmod 600 "$1.key"
		else
			ec "$1.key"
			openssl req -new -key "$1.key" -subj "/CN=localhost" -out "$1.csr" 2>/dev/null
		fi
		if [ -n "$4" ]; then
			printf 'subjectAltName=%s\n' "$4" >"$1.ext"
		else
			printf 'basicConstraints=CA:FALSE\n' >"$1.ext"
		fi
		openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
			-days "$3" ${6:-} -extfile "$1.ext" -out "$1.pem" 2>/dev/null
	}
	root ca "long CA" 3650
	root shortca "short CA" 10
	root sha1ca "SHA-1 root" 3650 -sha1
	leaf good ca 365 "DNS:localhost,IP:127.0.0.1"
	leaf soon ca 10 "DNS:localhost"
	leaf expired ca -1 "DNS:localhost"
	leaf weak ca 365 "DNS:localhost" rsa:1024
	leaf sha1 ca 365 "DNS:localhost" "" -sha1
	leaf nosan ca 365 ""
	leaf bysha1ca sha1ca 365 "DNS:localhost"
	leaf strong ca 365 "DNS:localhost" rsa:2048
	# A chain: a leaf of an intermediate that expires in 5 days.
	ec mid.key
	openssl req -new -key mid.key -subj "/CN=mid CA" -out mid.csr 2>/dev/null
	printf 'basicConstraints=critical,CA:TRUE\n' >mid.ext
	openssl x509 -req -in mid.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 5 \
		-extfile mid.ext -out mid.pem 2>/dev/null
	leaf chained mid 365 "DNS:localhost"
	cat chained.pem mid.pem >chain.pem
	cp chained.key chain.key
) || exit 1
for f in good soon expired weak sha1 nosan bysha1ca strong chain; do
	[ -s "$D/$f.pem" ] || { fail "making $f.pem"; finish; }
done

# ring NAME CERT [CA]: a [keyring] section.
ring() {
	printf '[keyring %s]\ncert = %s/%s.pem\nkey = %s/%s.key\nca = %s/%s.pem\n' \
		"$1" "$D" "$2" "$D" "$2" "$D" "${3:-ca}"
}
# server NAME RING PORT [MORE]: an inbound descriptor.
server() {
	printf '[traffic %s]\ndirection = inbound\nlocal_port = %s\nkeyring = %s\n%s' \
		"$1" "$3" "$2" "${4:-}"
}
# run FILE [OPTS]: attls check's output in $OUT, its exit code in $RC.
run() {
	local f=$1
	shift
	OUT=$("$ATTLS" check "$@" "$f" 2>&1)
	RC=$?
}
has() { grep -qE -- "$2" <<<"$1"; }
hasnt() { ! grep -qE -- "$2" <<<"$1"; }
nwarn() { grep -c ': warning: ' <<<"$1"; }

# --- A clean policy: no warning, exit 0 even with --strict.
{ ring k good; server web k 8443 'server_name = localhost\n'; } >"$WORK/clean.ini"
sed -i 's/\\n/\n/g' "$WORK/clean.ini"
run "$WORK/clean.ini" --strict
check "a clean policy: no warning, --strict exits 0 (exit $RC)" \
	eval '[ $RC -eq 0 ] && [ "$(nwarn "$OUT")" -eq 0 ] && has "$OUT" "ok: 1 traffic"'

# --- Certificates: one key ring each, every one served.
{
	ring soon soon          # line 1
	ring expired expired    # 5
	ring weak weak          # 9
	ring sha1 sha1          # 13
	ring nosan nosan        # 17
	ring shortca good shortca # 21
	ring sha1root bysha1ca sha1ca # 25
	ring strong strong      # 29
	ring chain chain        # 33
	server t1 soon 1001
	server t2 expired 1002
	server t3 weak 1003
	server t4 sha1 1004
	server t5 nosan 1005
	server t6 shortca 1006
	server t7 sha1root 1007
	server t8 strong 1008
	server t9 chain 1009
} >"$WORK/certs.ini"
run "$WORK/certs.ini"
check "warnings only: exit 0 ($RC)" [ $RC -eq 0 ]
check "the summary counts the warnings" has "$OUT" "certs.ini: [0-9]+ warnings$"
check "a cert ending in 10 days: ISO date and days left, at its cert line" \
	has "$OUT" "certs.ini:2: warning: cert: $D/soon.pem: certificate 1 \(/CN=localhost\) expires on 20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9:]{8}Z \(in (9|10) days\)"
check "an expired cert: the date it ended" \
	has "$OUT" "certs.ini:6: warning: cert: $D/expired.pem: certificate 1 \(/CN=localhost\) expired on 20[0-9-]{8}T[0-9:]{8}Z \(1 day ago\)"
check "an RSA key of 1024 bits" \
	has "$OUT" "certs.ini:10: warning: cert: $D/weak.pem: certificate 1 \(/CN=localhost\) has an RSA key of 1024 bits, under 2048"
check "an RSA key of 2048 bits is not warned about" hasnt "$OUT" "certs.ini:30: "
check "a SHA-1 signature on the leaf" \
	has "$OUT" "certs.ini:14: warning: cert: $D/sha1.pem: certificate 1 .* is signed with SHA-1"
check "a served cert without subjectAltName" \
	has "$OUT" "certs.ini:18: warning: cert: \[keyring nosan\]'s certificate serves connections but has no subjectAltName"
check "a CA ending in 10 days, at the ca line" \
	has "$OUT" "certs.ini:24: warning: ca: $D/shortca.pem: certificate 1 \(/CN=short CA\) expires on .* \(in (9|10) days\)"
check "a SHA-1 root's signature on itself is not warned about" hasnt "$OUT" "certs.ini:28: "
check "an intermediate of the chain ending in 5 days: certificate 2" \
	has "$OUT" "certs.ini:34: warning: cert: $D/chain.pem: certificate 2 \(/CN=mid CA\) expires on .* \(in (4|5) days\)"
check "the chain's leaf is not warned about" hasnt "$OUT" "chain.pem: certificate 1 "
check "nothing else: 7 warnings ($(nwarn "$OUT"))" [ "$(nwarn "$OUT")" -eq 7 ]
run "$WORK/certs.ini" --strict
check "--strict: the same warnings are errors (exit $RC)" \
	eval '[ $RC -eq 1 ] && has "$OUT" "warnings are errors \(--strict\)" && hasnt "$OUT" ": ok: "'
run "$WORK/certs.ini" --no-keys
check "--no-keys: no certificate is looked at, and it says so (exit $RC)" \
	eval '[ $RC -eq 0 ] && [ "$(nwarn "$OUT")" -eq 0 ] && has "$OUT" "warnings not looked for \(--no-keys\): certificate dates"'

# --- server_name of a server-only descriptor against the served certificate.
{
	ring k good
	server named k 2001 'server_name = localhost\n'
	server byip k 2002 'server_name = 127.0.0.1\n'
	server wrong k 2003 'server_name = elsewhere.test\n'
	server wrongip k 2004 'server_name = 127.0.0.2\n'
	printf '[traffic both]\nlocal_port = 2005\nremote_port = 2005\nkeyring = k\nserver_name = remote.test\n'
} >"$WORK/names.ini"
sed -i 's/\\n/\n/g' "$WORK/names.ini"
run "$WORK/names.ini"
check "a server_name the cert does not name, at its line" \
	has "$OUT" "names.ini:19: warning: \[traffic wrong\]: server_name elsewhere.test is not a name of \[keyring k\]'s certificate"
check "an IP server_name the cert does not name" has "$OUT" "names.ini:24: warning: \[traffic wrongip\]: server_name 127.0.0.2"
check "names the cert has (DNS, IP) and a client's server_name are not warned about: 2 warnings ($(nwarn "$OUT"))" \
	[ "$(nwarn "$OUT")" -eq 2 ]

# --- Shadowed descriptors, unused sections (also with --no-keys).
cat >"$WORK/shadow.ini" <<EOF2
[keyring k]
cert = $D/good.pem
key = $D/good.key
ca = $D/ca.pem
[keyring spare]
ca = $D/ca.pem
[security spare]
client_auth = none
[traffic wide]
direction = inbound
local_port = 8000-8099, 8100-8199
keyring = k
[traffic narrow]
direction = inbound
local_port = 8050-8150
local_addr = 127.0.0.0/8
keyring = k
[traffic outside]
direction = inbound
local_port = 8150-8250
keyring = k
[traffic job]
direction = inbound
local_port = 9000
jobname = web*
priority = 5
keyring = k
[traffic job2]
direction = inbound
local_port = 9000
jobname = web*
user = www-data
priority = 5
keyring = k
[traffic otherjob]
direction = inbound
local_port = 9000
jobname = webapp
priority = 5
keyring = k
[traffic low]
local_port = 7000
local_addr = 10.0.0.0/8
priority = 1
enabled = no
[traffic high]
direction = inbound
local_port = 7000
local_addr = 10.1.0.0/16
priority = 100
keyring = k
[traffic v6]
direction = inbound
local_port = 7000
local_addr = ::1
priority = 100
keyring = k
[traffic first]
direction = inbound
remote_port = 6000
priority = 3
keyring = k
[traffic wins]
direction = inbound
remote_port = 6000
priority = 7
keyring = k
EOF2
for mode in "" --no-keys; do
	run "$WORK/shadow.ini" $mode
	m=${mode:-keys}
	check "$m: a descriptor inside the port union of an earlier one is shadowed, both named with lines" \
		has "$OUT" "shadow.ini:13: warning: \[traffic narrow\] can never be chosen: \[traffic wide\] \(line 9\) matches every connection it would and wins \(same priority, earlier in the file\)"
	check "$m: a port range reaching outside is not" hasnt "$OUT" "\[traffic outside\] can never"
	check "$m: the same jobname glob and any user shadows one with a user" \
		has "$OUT" "shadow.ini:28: warning: \[traffic job2\] can never be chosen: \[traffic job\] \(line 22\)"
	check "$m: a glob that only matches more (web* over webapp) is not proven" \
		hasnt "$OUT" "\[traffic otherjob\] can never"
	check "$m: enabled = no outranks a higher priority within its CIDR" \
		has "$OUT" "shadow.ini:46: warning: \[traffic high\] can never be chosen: \[traffic low\] \(line 41\) .*\(enabled = no outranks every match\)"
	check "$m: an IPv6 address is not inside an IPv4 CIDR" hasnt "$OUT" "\[traffic v6\] can never"
	check "$m: a higher priority later in the file shadows an earlier one" \
		has "$OUT" "shadow.ini:58: warning: \[traffic first\] can never be chosen: \[traffic wins\] \(line 63\) .*\(higher priority\)"
	check "$m: an unused key ring, at its section" \
		has "$OUT" "shadow.ini:5: warning: \[keyring spare\] is not used: no enabled descriptor names it"
	check "$m: an unused security level, at its section" \
		has "$OUT" "shadow.ini:7: warning: \[security spare\] is not used"
	check "$m: exactly those 6 warnings ($(nwarn "$OUT")), exit 0 ($RC)" \
		eval '[ "$(nwarn "$OUT")" -eq 6 ] && [ $RC -eq 0 ]'
done
# What attls query chooses agrees: the shadowed ones are never the match.
q() { "$ATTLS" query "$WORK/shadow.ini" --direction inbound --remote-port 1 "$@" 2>&1 | head -1 | cut -d" " -f1-2; }
check "attls query: port 8100 on 127.0.0.1 goes to wide, not narrow ($(q --local-port 8100 --local-addr 127.0.0.1))" \
	[ "$(q --local-port 8100 --local-addr 127.0.0.1)" = "match: wide" ]
check "attls query: 10.1.2.3:7000 goes to low, not high ($(q --local-port 7000 --local-addr 10.1.2.3))" \
	[ "$(q --local-port 7000 --local-addr 10.1.2.3)" = "match: low" ]
check "attls query: port 8200 goes to outside, which is not shadowed ($(q --local-port 8200))" \
	[ "$(q --local-port 8200)" = "match: outside" ]
run "$WORK/shadow.ini" --strict --no-keys
check "--strict --no-keys: policy warnings are errors (exit $RC)" [ $RC -eq 1 ]

# --- direction = both over a key ring fit for one role: one error with the hint.
{ printf '[keyring c]\nca = %s/ca.pem\n' "$D"; printf '[traffic t]\nremote_port = 443\nserver_name = x\nkeyring = c\n'; } >"$WORK/onlyca.ini"
run "$WORK/onlyca.ini" --no-keys
check "a ca-only key ring under direction = both: set direction = outbound (exit $RC)" \
	eval '[ $RC -eq 1 ] && has "$OUT" "onlyca.ini:3: \[traffic t\]: direction = both makes it a server too, but \[keyring c\] has no cert and key: it can only be a client; set direction = outbound"'
check "... and that is the only error" [ "$(grep -c 'onlyca.ini:[0-9]' <<<"$OUT")" -eq 1 ]
{ ring s good | grep -v '^ca'; printf '[traffic t]\ndirection = both\nlocal_port = 443\nkeyring = s\n'; } >"$WORK/onlycert.ini"
run "$WORK/onlycert.ini"
check "a cert-only key ring under an explicit direction = both: set direction = inbound (exit $RC)" \
	eval '[ $RC -eq 1 ] && has "$OUT" "onlycert.ini:4: \[traffic t\]: direction = both makes it a client too, but \[keyring s\] has no ca .*: it can only be a server; set direction = inbound"'
check "... once, not with server_name's error too" [ "$(grep -c 'onlycert.ini:[0-9]' <<<"$OUT")" -eq 1 ]
finish

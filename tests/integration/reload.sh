#!/usr/bin/env bash
# Reload without restart: a server under attls gets a new certificate by
# rename while a connection stays open (the open one keeps working, a new
# one gets the new serial); a broken policy and a key that does not match
# keep the old policy and are logged with FILE:LINE; a descriptor's port
# moved covers the new port and no longer the old; "attls reload PID"
# reads the policy again where the once-a-second check sees no change; a
# process that gave up root cannot read a root-only key again, and says so.
# RELOAD_PRELOAD (tsan.sh) replaces the server's preload.
source "$(dirname "$0")/lib.sh"
PRELOAD=${RELOAD_PRELOAD:-$LIB}
PY=$TOP/tests/integration/py
make_pki
P=$(free_port)
Q=$(free_port)
R=$(free_port)

# cert NAME SERIAL: the server's key and names, another serial.
cert() {
	openssl x509 -req -in "$PKI/server.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
		-set_serial "$2" -days 2 -extfile "$PKI/server.ext" -out "$WORK/$1.pem" 2>/dev/null
}
cert a 0xA1
cert b 0xB2
# c: as long as b (an ECDSA signature's length varies), for an in-place
# rewrite that leaves size, inode and time as they were.
for i in $(seq 30); do
	cert c 0xC3
	[ "$(stat -c %s "$WORK/c.pem")" = "$(stat -c %s "$WORK/b.pem")" ] && break
done
# serial PORT: the serial a new connection is shown, e.g. "A1".
serial() {
	timeout 10 openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=//'
}
# resumes PORT: a second connection resumes the first's session.
resumes() {
	timeout 10 openssl s_client -connect "127.0.0.1:$1" -sess_out "$WORK/sess" </dev/null \
		>/dev/null 2>&1
	timeout 10 openssl s_client -connect "127.0.0.1:$1" -sess_in "$WORK/sess" </dev/null 2>/dev/null |
		grep -q "^Reused"
}
# clear PORT: a line sent in clear comes back in clear.
clear() {
	[ "$(printf 'hello\n' | timeout 5 socat -t 2 - "TCP:127.0.0.1:$1" 2>/dev/null)" = hello ]
}
# pol FILE PORT CERT [KEY]: written beside and renamed into place.
pol() {
	policy "$1.tmp" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
cert = $3
key = ${4:-@PKI@/server.key}
[traffic in]
direction = inbound
local_port = $2
keyring = k
EOF2
	mv "$1.tmp" "$1"
}

cp "$WORK/a.pem" "$WORK/cur.pem"
pol "$WORK/pol.ini" "$P" "$WORK/cur.pem"
bg env ATTLS_CONFIG="$WORK/pol.ini" LD_PRELOAD="$PRELOAD" python3 "$PY/reload_echo.py" "$P" "$Q" \
	2>"$WORK/srv.err"
SRV=$BGPID
wait_port "$P" && wait_port "$Q" || exit 1
check "the first connection gets serial A1" [ "$(serial "$P")" = A1 ]
bg python3 "$PY/reload_holder.py" "$P" "$PKI/ca.pem" "$WORK/go" >"$WORK/holder.out" 2>&1
HOLDER=$BGPID
for i in $(seq 100); do grep -q "^echo first" "$WORK/holder.out" && break; sleep 0.1; done
check "the held connection is open and echoes" grep -q "^echo first" "$WORK/holder.out"

# A new certificate renamed into place.
cp "$WORK/b.pem" "$WORK/cur.pem.new"
mv "$WORK/cur.pem.new" "$WORK/cur.pem"
sleep 1.2
check "after the rename, a new connection gets serial B2" [ "$(serial "$P")" = B2 ]
touch "$WORK/go"
timeout 15 tail --pid="$HOLDER" -f /dev/null
check "the connection opened before still works" grep -q "^echo second" "$WORK/holder.out"
check "and is still the one with serial A1" [ "$(grep -c '^serial A1' "$WORK/holder.out")" = 2 ]

# A broken policy: the old one stays, each error logged with its line.
pol "$WORK/pol.ini" "$P" "$WORK/cur.pem"
sed -i 's/^trace = .*/trace = error-stderr, loud/' "$WORK/pol.ini"
sleep 1.2
check "a broken policy: a new connection still gets B2" [ "$(serial "$P")" = B2 ]
check "the failed reload is logged" grep -q "ATTLS092E policy not reloaded: $WORK/pol.ini" "$WORK/srv.err"
check "with the error's FILE:LINE" grep -q "ATTLS002E.*pol.ini:2: trace: \".*loud\" is not" "$WORK/srv.err"
check "and that the policy in force stays" grep -q "ATTLS092E.*the policy in force stays" "$WORK/srv.err"

# A key that does not match its certificate.
pol "$WORK/pol.ini" "$P" "$PKI/stranger.pem"
sleep 1.2
check "a key that does not match: B2 still" [ "$(serial "$P")" = B2 ]
check "the mismatch is logged with FILE:LINE" \
	grep -q "ATTLS002E.*pol.ini:5: key: .* does not match the certificate" "$WORK/srv.err"

# The descriptor's port moved from P to Q.
check "before the move, Q is clear" clear "$Q"
pol "$WORK/pol.ini" "$Q" "$WORK/cur.pem"
sleep 1.2
check "after the move, Q is TLS (serial B2)" [ "$(serial "$Q")" = B2 ]
check "and P is no longer covered: clear" clear "$P"

# The same size, inode and time: the once-a-second check sees nothing.
touch -r "$WORK/cur.pem" "$WORK/stamp"
cat "$WORK/c.pem" >"$WORK/cur.pem"
touch -r "$WORK/stamp" "$WORK/cur.pem"
sleep 1.2
check "an in-place rewrite with the old time is not seen by the check: B2" \
	[ "$(serial "$Q")" = B2 ]
"$ATTLS" reload "$SRV" >"$WORK/reload.out" 2>&1
check "attls reload PID answers: $(cat "$WORK/reload.out")" grep -q "^$SRV: reload asked" "$WORK/reload.out"
check "the next connection after attls reload gets C3" [ "$(serial "$Q")" = C3 ]
bg sleep 60
check "attls reload of a process without attls, nor any under it, fails" \
	bash -c "! '$ATTLS' reload $BGPID 2>/dev/null"
stop "$BGPID"
"$ATTLS" reload --all >"$WORK/all.out" 2>&1
check "attls reload --all asks the server" grep -q "^$SRV: reload asked" "$WORK/all.out"

# Threads connect while the certificate flips and policies are swapped
# under them: every handshake completes, on one certificate or the other.
flip() {
	for i in $(seq 14); do
		cp "$WORK/$1.pem" "$WORK/cur.pem.new" && mv "$WORK/cur.pem.new" "$WORK/cur.pem"
		sleep 0.35
		set -- "$2" "$1"
	done
}
flip a b &
FLIP=$!
timeout 60 python3 "$PY/reload_stress.py" "$Q" "$PKI/ca.pem" 4.5 8 >"$WORK/stress.out" 2>&1
wait "$FLIP"
check "8 threads connecting for 4.5 s across policy swaps all complete: $(cat "$WORK/stress.out")" \
	grep -Eq "^(A1=[0-9]+ ?)?(B2=[0-9]+ ?)?(C3=[0-9]+)?$" "$WORK/stress.out"
check "and both certificates were served" grep -q "A1=.*B2=" "$WORK/stress.out"
check "the server is still there" kill -0 "$SRV"

# A pre-forked server: the workers accept, the master does not. attls
# reload of the master asks the workers too.
V=$(free_port)
cp "$WORK/b.pem" "$WORK/cur4.pem"
pol "$WORK/pol4.ini" "$V" "$WORK/cur4.pem"
bg env ATTLS_CONFIG="$WORK/pol4.ini" LD_PRELOAD="$PRELOAD" python3 "$PY/prefork_echo.py" "$V" 2 \
	>"$WORK/prefork.out" 2>"$WORK/prefork.err"
MASTER=$BGPID
wait_port "$V" || exit 1
for i in $(seq 50); do [ -s "$WORK/prefork.out" ] && break; sleep 0.1; done
check "the pre-forked workers serve B2" [ "$(serial "$V")" = B2 ]
touch -r "$WORK/cur4.pem" "$WORK/stamp4"
cat "$WORK/c.pem" >"$WORK/cur4.pem"
touch -r "$WORK/stamp4" "$WORK/cur4.pem"
sleep 1.2
"$ATTLS" reload "$MASTER" >"$WORK/reload4.out" 2>&1
workers_asked() {
	local w
	for w in $(cat "$WORK/prefork.out"); do grep -q "^$w: reload asked" "$WORK/reload4.out" || return 1; done
}
check "attls reload of the master asks each worker: $(tr '\n' ' ' <"$WORK/reload4.out")" workers_asked
all_c3() {
	local i
	for i in 1 2 3 4 5 6; do [ "$(serial "$V")" = C3 ] || return 1; done
}
check "then every new connection, whichever worker takes it, gets C3" all_c3
stop "$MASTER"

# A process whose first policy did not load refuses; a fixed policy is
# taken at a later accept.
S=$(free_port)
pol "$WORK/pol3.ini" "$S" "$WORK/cur.pem"
sed -i 's/^trace = .*/trace = error-stderr, loud/' "$WORK/pol3.ini"
bg env ATTLS_CONFIG="$WORK/pol3.ini" LD_PRELOAD="$PRELOAD" python3 "$PY/reload_echo.py" "$S" \
	2>"$WORK/none.err"
wait_port "$S" || exit 1
check "with no policy in force, a connection is refused" [ -z "$(serial "$S")" ]
pol "$WORK/pol3.ini" "$S" "$WORK/cur.pem"
sleep 1.2
got=$(serial "$S")
check "a fixed policy is taken by a process that had none: serial $got" [ -n "$got" ]
check "and its tickets resume" resumes "$S"

# A process that gave up root: the key, root's alone, cannot be read again.
chmod 755 "$WORK" "$PKI"
chmod 644 "$WORK"/*.pem
cp "$WORK/a.pem" "$WORK/cur2.pem"
pol "$WORK/pol2.ini" "$R" "$WORK/cur2.pem"
chmod 644 "$WORK/pol2.ini"
bg env ATTLS_CONFIG="$WORK/pol2.ini" LD_PRELOAD="$PRELOAD" python3 "$PY/reload_echo.py" "$R" \
	--drop-to 65534 2>"$WORK/drop.err"
wait_port "$R" || exit 1
check "the unprivileged server gets A1 first" [ "$(serial "$R")" = A1 ]
cp "$WORK/b.pem" "$WORK/cur2.pem.new"
chmod 644 "$WORK/cur2.pem.new"
mv "$WORK/cur2.pem.new" "$WORK/cur2.pem"
sleep 1.2
check "after it gave up root, a new certificate is not taken: A1" [ "$(serial "$R")" = A1 ]
check "the log says the key cannot be read by it" \
	grep -q "ATTLS093E.*$PKI/server.key: not readable by this process (uid 65534)" "$WORK/drop.err"
finish

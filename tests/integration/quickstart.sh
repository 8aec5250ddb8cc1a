#!/usr/bin/env bash
# The README's quick start, as written: its blocks run in order, with
# /etc/attls a scratch directory, port 8443 a free port, and this tree's
# attls on PATH in place of make install; the service runs in the
# background and is stopped by its pid.
source "$(dirname "$0")/lib.sh"
P=$(free_port)
E=$WORK/etc/attls
mkdir -p "$E"
# The indented lines between the markers, one block per blank-separated run.
awk '/<!-- quickstart begin/ { on = 1; next } /<!-- quickstart end/ { on = 0 } on' "$TOP/README.md" |
	awk '/^    / { sub(/^    /, ""); print; next } { print "#--" }' |
	sed -e "s|/etc/attls|$E|g" -e "s|8443|$P|g" >"$WORK/steps"
blocks=$(grep -c '^#--' "$WORK/steps")
check "the quick start has its blocks ($blocks separators)" [ "$blocks" -gt 5 ]
export PATH="$TOP/build:$PATH"
run_block() { # N: the Nth block of commands (1-based), in bash
	awk -v n="$1" 'BEGIN { b = 1 } /^#--/ { if (seen) { b++; seen = 0 } next }
		{ seen = 1; if (b == n) print }' \
		"$WORK/steps"
}
# Block 1 is make install: this tree is already built and used in place.
for n in 2 3; do
	run_block $n >"$WORK/b$n.sh"
	(cd "$WORK" && bash -e "$WORK/b$n.sh") >"$WORK/b$n.out" 2>&1
	check "block $n ($(head -1 "$WORK/b$n.sh")) runs" [ $? = 0 ]
done
run_block 4 >"$WORK/b4.sh"
check "block 4 is attls check, then attls run" \
	bash -c "head -1 '$WORK/b4.sh' | grep -q '^attls check ' && sed -n 2p '$WORK/b4.sh' | grep -q '^attls run '"
bash -c "$(grep '^attls check ' "$WORK/b4.sh")" >"$WORK/check.out" 2>&1
check "attls check: ok" grep -q ": ok:" "$WORK/check.out"
start=$(grep '^attls run ' "$WORK/b4.sh")
bg bash -c "cd '$WORK' && exec $start" 2>"$WORK/srv.err"
SRV=$BGPID
wait_port "$P" || exit 1
run_block 5 >"$WORK/b5.sh"
out=$(cd "$WORK" && timeout 20 bash "$WORK/b5.sh" 2>&1)
check "curl --cacert gets the directory listing over TLS" grep -q "Directory listing" <<<"$out"
check "a clear-text client gets nothing: curl says what the README says" \
	grep -q 'curl: (52) Empty reply from server' <<<"$out"
check "the service's stderr says why, as the README says" \
	grep -q 'ATTLS022E handshake failed .*rule=web: the peer does not speak TLS (clear text or garbage?)' "$WORK/srv.err"
check "attls status lists the service's policy" \
	bash -c "attls status 2>/dev/null | grep -q 'policy $E/web.ini (loaded '"
stop "$SRV"
# A python3 that is a wrapper script (pyenv's shim) runs the server as its
# child, which outlives the wrapper's pid: stopped by its port.
pkill -f "http[.]server.*$P" 2>/dev/null
finish

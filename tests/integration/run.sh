#!/usr/bin/env bash
# attls run never starts a program without the library: a library path
# LD_PRELOAD cannot carry (a blank, a colon), a library that does not load,
# a static program and one in secure-execution mode are refused, and the
# program is not started. A normal run keeps the pid, argv and exit code,
# and the program sees no marker. In secure-execution mode the library
# takes neither ATTLS_CONFIG nor ATTLS_JOBNAME nor argv[0] from the caller.
# A policy that does not load stops the start (exit 78) unless --start-anyway.
# A job no descriptor can match starts, and attls run says so.
source "$(dirname "$0")/lib.sh"
make_pki
chmod 755 "$WORK"
printf '[global]\ntrace = error-stderr\n[traffic t]\nlocal_port = 1\nenabled = no\n' >"$WORK/p.ini"

# A normal run: the same process (exec), argv, exit code; no marker left.
out=$(timeout 20 bash -c 'echo "shell=$$"; exec "$0" run -c "$1" -- sh -c "echo pid=\$\$ arg=\$1; exit 7" zero one' \
	"$ATTLS" "$WORK/p.ini")
rc=$?
shell=$(sed -n 's/^shell=//p' <<<"$out")
check "a normal run keeps the program's exit code ($rc)" [ $rc -eq 7 ]
check "a normal run keeps the pid and argv ($(tail -1 <<<"$out"))" grep -q "^pid=$shell arg=one$" <<<"$out"
timeout 20 "$ATTLS" run -c "$WORK/p.ini" -- env >"$WORK/env.out"
check "the program gets LD_PRELOAD" grep -q "^LD_PRELOAD=$LIB$" "$WORK/env.out"
check "the program sees no marker in its environment" bash -c "! grep -q ATTLS_RUN '$WORK/env.out'"
check "the library is in the program" grep -q libattls.so <(timeout 20 "$ATTLS" run -c "$WORK/p.ini" -- cat /proc/self/maps)

# A policy that secures only job WEB: started as another job (no -j), the
# program runs unchanged and attls run says why; with -j WEB it says nothing.
policy "$WORK/job.ini" <<'EOF2'
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic web]
direction = inbound
local_port = 8450
jobname = WEB
keyring = k
EOF2
timeout 20 "$ATTLS" run -c "$WORK/job.ini" -- true 2>"$WORK/job.err"
rc=$?
check "a job no descriptor can match: started (exit $rc), and attls run names the job and -j" \
	bash -c "[ $rc = 0 ] && grep -q 'no descriptor of $WORK/job.ini can match job \"true\".*-j JOBNAME' '$WORK/job.err'"
timeout 20 "$ATTLS" run -c "$WORK/job.ini" -j WEB -- true 2>"$WORK/job.err"
check "the job a descriptor names: no such word" bash -c "[ ! -s '$WORK/job.err' ]"
out=$("$ATTLS" query "$WORK/job.ini" --direction inbound --local-port 8450)
check "attls query without --jobname shows the jobname the match depends on" \
	grep -qx '  if jobname is WEB (not asked: --jobname)' <<<"$out"
out=$("$ATTLS" query "$WORK/job.ini" --direction inbound --local-port 8450 --jobname WEB)
check "attls query with --jobname: no condition left" bash -c "! grep -q '^  if ' <<<'$out'"

# A policy that does not load: the program is not started, exit 78
# (EX_CONFIG), every error on stderr; --start-anyway starts it as before.
printf '[global]\ntrace = loud\n[traffic t]\nlocal_port = 70000\n' >"$WORK/broken.ini"
rm -f "$WORK/started"
timeout 20 "$ATTLS" run -c "$WORK/broken.ini" -- touch "$WORK/started" 2>"$WORK/err"
rc=$?
check "a policy that does not load: exit 78 ($rc)" [ $rc -eq 78 ]
check "a policy that does not load: the program is not started" [ ! -e "$WORK/started" ]
check "a policy that does not load: every error, with its line" \
	bash -c "grep -q '^attls run: $WORK/broken.ini:2: trace' '$WORK/err' &&
		grep -q '^attls run: $WORK/broken.ini:4: local_port' '$WORK/err'"
check "a policy that does not load: says the program is not started" \
	grep -q "the policy $WORK/broken.ini does not load: the program is not started" "$WORK/err"
policy "$WORK/nokey.ini" <<EOF2
[keyring k]
cert = @PKI@/server.pem
key = $WORK/missing.key
[traffic t]
direction = inbound
local_port = 1
keyring = k
EOF2
rm -f "$WORK/started"
ATTLS_CONFIG="$WORK/nokey.ini" timeout 20 "$ATTLS" run -- touch "$WORK/started" 2>"$WORK/err"
rc=$?
check "ATTLS_CONFIG's policy whose key does not load: exit 78 ($rc), not started" \
	[ $rc -eq 78 -a ! -e "$WORK/started" ]
check "a key that does not load: says which ($(grep -m1 missing.key "$WORK/err"))" grep -q "missing.key" "$WORK/err"
timeout 20 "$ATTLS" run -c "$WORK/broken.ini" --start-anyway -- sh -c "touch '$WORK/started'; exit 5" \
	2>"$WORK/err"
rc=$?
check "--start-anyway: the program starts and keeps its exit code ($rc)" [ $rc -eq 5 -a -e "$WORK/started" ]
check "--start-anyway: the library says why every connection is refused" grep -q "ATTLS003E" "$WORK/err"
# -c naming a file that does not exist: the policy's error, as any other.
rm -f "$WORK/started"
timeout 20 "$ATTLS" run -c "$WORK/absent.ini" -- touch "$WORK/started" 2>"$WORK/err"
rc=$?
check "-c with a missing file: exit 78 ($rc), not started, \"attls run: FILE: cannot open policy\"" \
	bash -c "[ $rc = 78 ] && [ ! -e '$WORK/started' ] &&
		grep -q '^attls run: $WORK/absent.ini: cannot open policy: No such file' '$WORK/err'"
timeout 20 "$ATTLS" run -c "$WORK/absent.ini" --start-anyway -- touch "$WORK/started" 2>/dev/null
check "-c with a missing file and --start-anyway: started (exit $?)" [ -e "$WORK/started" ]

# refused DIR...: attls from DIR refuses to start a program, exit 126.
refused() {
	local what=$1
	shift
	rm -f "$WORK/started"
	timeout 20 "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	check "$what: refused (exit $rc)" [ $rc -eq 126 ]
	check "$what: the program is not started" [ ! -e "$WORK/started" ]
}
for d in "with blank" "with:colon"; do
	mkdir -p "$WORK/$d"
	cp "$ATTLS" "$LIB" "$WORK/$d/"
	refused "attls run from \"$d\"" "$WORK/$d/attls" run -c "$WORK/p.ini" -- touch "$WORK/started"
	check "attls run from \"$d\" says why" grep -q "cannot go into LD_PRELOAD" "$WORK/err"
done
mkdir -p "$WORK/broken"
cp "$ATTLS" "$WORK/broken/"
echo "not a library" >"$WORK/broken/libattls.so"
refused "a library that does not load" "$WORK/broken/attls" run -c "$WORK/p.ini" -- touch "$WORK/started"
check "a library that does not load: says so" grep -q "the library did not load" "$WORK/err"

printf '#include <stdio.h>\nint main(void) { return !fopen("%s", "w"); }\n' "$WORK/started" >"$WORK/mark.c"
gcc -static -o "$WORK/static_mark" "$WORK/mark.c" && gcc -o "$WORK/mark" "$WORK/mark.c"
refused "a static program" "$ATTLS" run -c "$WORK/p.ini" -- "$WORK/static_mark"
check "a static program: says why" grep -q "statically linked" "$WORK/err"
# The marked programs below could write $WORK/started as nobody if started.
chmod 777 "$WORK"
cp "$WORK/mark" "$WORK/suid_mark"
chown nobody "$WORK/suid_mark"
chmod 4755 "$WORK/suid_mark"
refused "a set-user-ID program" "$ATTLS" run -c "$WORK/p.ini" -- "$WORK/suid_mark"
check "a set-user-ID program: says why" grep -q "set-user-ID.*secure-execution" "$WORK/err"
cp "$WORK/mark" "$WORK/cap_mark"
setcap cap_net_bind_service+ep "$WORK/cap_mark"
refused "a program with file capabilities, run by a user" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$ATTLS" run -c "$WORK/p.ini" -- "$WORK/cap_mark"
chmod 755 "$WORK"
check "file capabilities: says why" grep -q "file capabilities.*secure-execution" "$WORK/err"
# A copy of the system's loader, under another path: not attls's loader.
cp "$(readelf -l "$WORK/mark" | sed -n 's/.*interpreter: \(.*\)]/\1/p')" "$WORK/other-ld.so"
gcc -o "$WORK/other_ld_mark" "$WORK/mark.c" -Wl,--dynamic-linker="$WORK/other-ld.so"
refused "a program with another dynamic loader" "$ATTLS" run -c "$WORK/p.ini" -- "$WORK/other_ld_mark"
check "another dynamic loader: says why" grep -q "dynamic loader .* is not attls's" "$WORK/err"
printf '#!%s\n' "$WORK/static_mark" >"$WORK/script"
chmod 755 "$WORK/script"
refused "a script whose interpreter is static" "$ATTLS" run -c "$WORK/p.ini" -- "$WORK/script"

# Secure-execution mode (file capabilities, run by nobody): the library,
# loaded from a path by dlopen, ignores ATTLS_CONFIG, ATTLS_JOBNAME and
# argv[0]. In a private mount namespace, /etc/attls/attls.ini is a policy
# that exempts job "evil" and sends job "secure_probe" over TLS.
P=$(free_port)
gcc -o "$WORK/secure_probe" "$TOP/tests/integration/c/secure_probe.c" -ldl || fail "build secure_probe"
mkdir -p "$WORK/etc/attls"
printf '[global]\ntrace = loud\n' >"$WORK/bad.ini"
policy "$WORK/etc/attls/attls.ini" <<EOF2
[global]
trace = error-stderr
handshake_timeout = 3s
[keyring k]
ca = @PKI@/ca.pem
[traffic tls]
direction = outbound
remote_port = $P
keyring = k
server_name = localhost
[traffic exempt]
jobname = evil
remote_port = $P
enabled = no
EOF2
# first_bytes: what the first connection to $P sends, in hex, into $WORK/first.
first_bytes() {
	rm -f "$WORK/first"
	bg timeout 20 python3 -c 'import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
c, _ = s.accept()
c.settimeout(5)
open(sys.argv[2], "w").write(c.recv(16).hex())' "$P" "$WORK/first"
	wait_port "$P"
}
first_bytes
env ATTLS_CONFIG="$WORK/bad.ini" bash -c 'exec -a evil "$0" "$@"' "$WORK/secure_probe" "$LIB" "$P" \
	>"$WORK/plain.out" 2>&1
stop "$BGPID"
check "not secure: ATTLS_CONFIG is taken" grep -q "bad.ini:2: trace" "$WORK/plain.out"
setcap cap_net_bind_service+ep "$WORK/secure_probe"
first_bytes
timeout 20 unshare -m bash -c 'mount -t overlay overlay -o lowerdir="$1/etc:/etc" /etc &&
	exec setpriv --reuid=nobody --regid=nogroup --clear-groups env ATTLS_CONFIG="$1/bad.ini" \
	ATTLS_JOBNAME=evil bash -c "exec -a evil \"\$0\" \"\$@\"" "$1/secure_probe" "$2" "$3"' \
	x "$WORK" "$LIB" "$P" >"$WORK/secure.out" 2>&1
timeout 10 tail --pid="$BGPID" -f /dev/null
check "the probe runs in secure-execution mode" grep -q "secure=1" "$WORK/secure.out"
check "secure: ATTLS_CONFIG is ignored" bash -c "! grep -q 'bad.ini' '$WORK/secure.out'"
first=$(cat "$WORK/first" 2>/dev/null)
check "secure: the job name is the program's file, not ATTLS_JOBNAME or argv[0]: TLS ($first)" \
	grep -q "^16030" <<<"$first"
finish

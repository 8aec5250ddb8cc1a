#!/usr/bin/env bash
# attls in every child process, at little cost (README "Children and
# exec"):
#  1. a policy with a server key ring and one descriptor, for job X:
#     /bin/true (job true) under it opens no key file (strace -e openat)
#     and says once, at event level, that it has nothing to do (ATTLS005I);
#     job X opens the key and logs ATTLS001I instead;
#  2. job X still proves its key at load: a key file that does not match
#     its certificate refuses every connection (ATTLS003E and the line),
#     and a good one serves TLS (the crypto device chosen at that first
#     session, ATTLS070I); a reload that makes a job covered reads its
#     keys then and serves TLS;
#  3. keys on a PKCS#11 token (SoftHSM2) proven by a signature the token
#     makes: a matching one serves TLS, one that does not match is refused
#     at load, by attls check and under the shim;
#  4. [global] inherit = no: a child a shell under attls execs has no
#     libattls in /proc/PID/maps, and its LD_PRELOAD keeps the other
#     preload but not attls (the variable goes when attls was the only
#     one); ATTLS_CONFIG stays; the shell's own LD_PRELOAD is untouched;
#     a child of posix_spawn (python's) likewise; inherit = yes (the
#     default) keeps attls in the child;
#     a bad inherit value is a FILE:LINE error that refuses, as any;
#  5. inherit = no and a TLS fd handed to an exec'd program (socat's
#     EXEC:/bin/cat): the fd is cut (ATTLS042E names inherit = no), the
#     client gets nothing back in clear.
source "$(dirname "$0")/lib.sh"
PY=$TOP/tests/integration/py
make_pki
P=$(free_port)
K=$(free_port)

# pol FILE KEY [GLOBAL_LINE] [JOBGLOB]: a server key ring with KEY, one descriptor for job X.
pol() {
	policy "$1" <<EOF2
[global]
trace = error-stderr, error, event
${3:-}
[keyring srv]
cert = @PKI@/server.pem
key = $2
ca = @PKI@/ca.pem
[traffic x]
jobname = ${4:-X}
direction = inbound
local_port = $P
keyring = srv
EOF2
}
pol "$WORK/p.ini" "@PKI@/server.key"
pol "$WORK/bad.ini" "@PKI@/client.key"

# logged OUT CMD...: CMD in a mount namespace of its own, where journald's
# socket is a sink that appends each datagram to OUT (no system log needed,
# and no other test's log mixed in).
logged() {
	local out=$1
	shift
	: >"$out"
	timeout 30 unshare -m bash -c '
		sink_py=$1 out=$2
		shift 2
		mount -t tmpfs none /run/systemd 2>/dev/null || mount -t tmpfs none /run || exit 97
		mkdir -p /run/systemd/journal
		python3 "$sink_py" /run/systemd/journal/socket "$out" >/dev/null &
		sink=$!
		for _ in $(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
		"$@"
		rc=$?
		# The sink reads what is queued before it is stopped.
		sleep 0.3
		kill "$sink"
		wait "$sink"
		exit $rc' _ "$PY/syslog_sink.py" "$out" "$@"
}

# 1. No descriptor for job true: no key read.
timeout 30 strace -f -qq -e trace=openat,open -o "$WORK/true.strace" \
	-E LD_PRELOAD="$LIB" -E ATTLS_CONFIG="$WORK/p.ini" /bin/true
check "job true: attls loaded and read its policy" grep -q "p.ini" "$WORK/true.strace"
check "job true: the key file is never opened" bash -c "! grep -q 'server.key' '$WORK/true.strace'"
check "job true: nor the certificate or the CA" \
	bash -c "! grep -qE 'server.pem|ca.pem' '$WORK/true.strace'"
timeout 30 strace -f -qq -e trace=openat,open -o "$WORK/x.strace" \
	-E LD_PRELOAD="$LIB" -E ATTLS_CONFIG="$WORK/p.ini" -E ATTLS_JOBNAME=X /bin/true
check "job X: the key file is opened (what job true is spared)" \
	grep -q 'server.key' "$WORK/x.strace"
logged "$WORK/true.log" env LD_PRELOAD="$LIB" ATTLS_CONFIG="$WORK/p.ini" /bin/true
rc=$?
if [ "$rc" = 97 ]; then
	say "skipped the log checks: no mount namespace here"
else
	check "job true: ATTLS005I nothing to do, once" \
		bash -c "[ \$(grep -c 'ATTLS005I nothing to do.*job=true' '$WORK/true.log') = 1 ]"
	check "job true: no ATTLS001I (no keys loaded) and no crypto device chosen" \
		bash -c "! grep -qE 'ATTLS001I|ATTLS070I' '$WORK/true.log'"
	logged "$WORK/x.log" env LD_PRELOAD="$LIB" ATTLS_CONFIG="$WORK/p.ini" ATTLS_JOBNAME=X \
		/bin/true
	check "job X: ATTLS001I, not ATTLS005I" \
		bash -c "grep -q 'ATTLS001I.*job=X' '$WORK/x.log' && ! grep -q ATTLS005I '$WORK/x.log'"
fi

# 2. Job X still proves its key, and serves TLS with a good one.
out=$(ATTLS_JOBNAME=X under "$WORK/bad.ini" /bin/true 2>&1)
check "job X, a key file that does not match: no policy in force (ATTLS003E)" \
	grep -q "ATTLS003E" <<<"$out"
check "job X, a key file that does not match: the line says so" \
	grep -q "bad.ini:6: key: .*client.key: the key does not match the certificate" <<<"$out"
out=$(under "$WORK/bad.ini" /bin/true 2>&1)
check "job true under the same policy: no error, the key is not read" \
	bash -c '! grep -qE "ATTLS00[23]E" <<<"$1"' _ "$out"
mkdir -p "$WORK/www"
echo "hello child" >"$WORK/www/index.html"
serve_dir "$WORK/bad.ini" "$WORK/www" "$P" "$WORK/bad.log" X || exit 1
BAD=$BGPID
check "job X with the bad key: curl over TLS is refused" \
	bash -c "! timeout 10 curl -sS --cacert '$PKI/ca.pem' 'https://localhost:$P/' >/dev/null 2>&1"
check "job X with the bad key: nor is anything served in clear" \
	bash -c "! timeout 10 curl -sS 'http://127.0.0.1:$P/' >/dev/null 2>&1"
stop "$BAD"
logged "$WORK/serve.log" bash -c '
	cd "$1" && env ATTLS_CONFIG="$2" ATTLS_JOBNAME=X LD_PRELOAD="$3" \
		python3 -m http.server --bind 127.0.0.1 "$4" >/dev/null 2>&1 &
	srv=$!
	for _ in $(seq 100); do [ -n "$(ss -Hltn "sport = :$4")" ] && break; sleep 0.1; done
	timeout 10 curl -sS --cacert "$5" "https://localhost:$4/" >"$6"
	kill $srv; wait $srv 2>/dev/null; true' _ "$WORK/www" "$WORK/p.ini" "$LIB" "$P" \
	"$PKI/ca.pem" "$WORK/got"
check "job X with the good key: curl gets the page over TLS" grep -qx "hello child" "$WORK/got"
if [ "$rc" != 97 ]; then
	check "job X: the crypto device chosen at the first session (ATTLS070I)" \
		grep -q "ATTLS070I crypto device.*chosen at the first session" "$WORK/serve.log"
fi

# A reload that makes the job covered: the keys are read then, and TLS served.
Q=$(free_port)
rpol() { # JOBGLOB: written beside and renamed into place
	policy "$WORK/r.ini.tmp" <<EOF2
[global]
trace = error-stderr, error
[keyring srv]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic x]
jobname = $1
direction = inbound
local_port = $Q
keyring = srv
EOF2
	mv "$WORK/r.ini.tmp" "$WORK/r.ini"
}
rpol X
serve_dir "$WORK/r.ini" "$WORK/www" "$Q" "$WORK/r.log" srv || exit 1
RSRV=$BGPID
check "reload: job srv, covered by no descriptor, serves in clear" \
	bash -c "[ \"\$(timeout 10 curl -sS 'http://127.0.0.1:$Q/')\" = 'hello child' ]"
sleep 1.1
rpol srv
ok=false
for _ in 1 2 3 4 5; do
	# The once-a-second check runs at the accept, before the connection is classified.
	if [ "$(timeout 10 curl -sS --cacert "$PKI/ca.pem" "https://localhost:$Q/" 2>/dev/null)" = \
		"hello child" ]; then
		ok=true
		break
	fi
	sleep 0.5
done
check "reload: once a descriptor covers job srv, it reads its key and serves TLS" $ok
stop "$RSRV"
check "reload: no error logged" bash -c "! grep -q 'ATTLS0[0-9][0-9]E' '$WORK/r.log'"

# 3. Keys on a token, proven by a signature the token makes.
MODULE=$(find /usr/lib -name libsofthsm2.so -path '*softhsm*' 2>/dev/null | head -1)
if [ -z "$MODULE" ]; then
	fail "SoftHSM2 is installed"
else
	mkdir -p "$WORK/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$WORK/tokens" >"$WORK/softhsm2.conf"
	export SOFTHSM2_CONF=$WORK/softhsm2.conf
	softhsm2-util --init-token --free --label attls --pin 1234 --so-pin 4321 >/dev/null || exit 1
	import_key() { # KEYFILE LABEL ID
		openssl pkcs8 -topk8 -nocrypt -in "$1" -out "$WORK/import.p8" &&
			softhsm2-util --import "$WORK/import.p8" --token attls --label "$2" --id "$3" \
				--pin 1234 >/dev/null
		rm -f "$WORK/import.p8"
	}
	import_key "$PKI/server.key" good 01
	import_key "$PKI/client.key" mismatch 02
	echo 1234 >"$WORK/pin"
	chmod 600 "$WORK/pin"
	GLOBAL=$(printf '[crypto]\nmodule_path = %s\npin_source = file:%s' "$MODULE" "$WORK/pin")
	pol "$WORK/tok.ini" "pkcs11:token=attls;object=good" "$GLOBAL"
	pol "$WORK/tokbad.ini" "pkcs11:token=attls;id=%02" "$GLOBAL"
	check "token key that matches: attls check proves it" \
		bash -c "'$ATTLS' check '$WORK/tok.ini' >/dev/null 2>&1"
	out=$("$ATTLS" check "$WORK/tokbad.ini" 2>&1)
	check "token key that does not match: attls check refuses it with the line" \
		grep -q "tokbad.ini:8: key: the key does not match the certificate" <<<"$out"
	out=$(ATTLS_JOBNAME=X under "$WORK/tokbad.ini" /bin/true 2>&1)
	check "token key that does not match: job X has no policy in force" \
		bash -c 'grep -q ATTLS003E <<<"$1" && grep -q "key: the key does not match" <<<"$1"' \
		_ "$out"
	sed -i "s/local_port = $P/local_port = $K/" "$WORK/tok.ini"
	serve_dir "$WORK/tok.ini" "$WORK/www" "$K" "$WORK/tok.log" X || exit 1
	TOK=$BGPID
	check "token key that matches: job X serves the page over TLS" \
		bash -c "[ \"\$(timeout 10 curl -sS --cacert '$PKI/ca.pem' 'https://localhost:$K/')\" = 'hello child' ]"
	stop "$TOK"
fi

# A bad inherit value: FILE:LINE naming the key, from attls check and under
# the shim, even in a job that matches nothing.
pol "$WORK/badinh.ini" "@PKI@/server.key" "inherit = sometimes"
out=$("$ATTLS" check "$WORK/badinh.ini" 2>&1)
rc=$?
check "inherit = sometimes: attls check exits 1 and names the key at its line" \
	bash -c '[ "$1" = 1 ] && grep -q "badinh.ini:3: inherit: \"sometimes\" is not yes or no" <<<"$2"' \
	_ "$rc" "$out"
out=$(under "$WORK/badinh.ini" /bin/true 2>&1)
check "inherit = sometimes: job true has no policy in force (ATTLS003E) and says why" \
	bash -c 'grep -q ATTLS003E <<<"$1" && grep -q "badinh.ini:3: inherit:" <<<"$1"' _ "$out"

# 4. inherit = no: the children of a shell under attls.
printf 'int other_preload;\n' >"$WORK/other.c"
cc -shared -fPIC -o "$WORK/libother.so" "$WORK/other.c" || exit 1
pol "$WORK/noinh.ini" "@PKI@/server.key" "inherit = no"
# child_of POLICY PRELOAD OUT: a shell under POLICY with PRELOAD starts sleep;
# OUT gets the child's maps, its environment, then the shell's LD_PRELOAD.
child_of() {
	timeout 30 env ATTLS_CONFIG="$1" LD_PRELOAD="$2" bash -c '
		sleep 5 &
		c=$!
		sleep 0.3
		cat /proc/$c/maps
		echo "== environ"
		tr "\0" "\n" </proc/$c/environ
		echo "== shell LD_PRELOAD=$LD_PRELOAD"
		kill $c' >"$3" 2>&1
}
child_of "$WORK/noinh.ini" "$WORK/libother.so:$LIB" "$WORK/no.out"
check "inherit = no: the child has no libattls in its maps" \
	bash -c "! sed '/^== environ/,\$d' '$WORK/no.out' | grep -q libattls"
check "inherit = no: the other preload is still in the child's maps" \
	bash -c "sed '/^== environ/,\$d' '$WORK/no.out' | grep -q libother.so"
check "inherit = no: the child's LD_PRELOAD names the other preload only" \
	grep -qx "LD_PRELOAD=$WORK/libother.so" "$WORK/no.out"
check "inherit = no: ATTLS_CONFIG is left to the child" \
	grep -qx "ATTLS_CONFIG=$WORK/noinh.ini" "$WORK/no.out"
check "inherit = no: the shell's own LD_PRELOAD is untouched" \
	grep -qx "== shell LD_PRELOAD=$WORK/libother.so:$LIB" "$WORK/no.out"
child_of "$WORK/noinh.ini" "$LIB" "$WORK/only.out"
check "inherit = no, attls the only preload: the child has no LD_PRELOAD at all" \
	bash -c "! grep -q '^LD_PRELOAD=' '$WORK/only.out'"
child_of "$WORK/p.ini" "$WORK/libother.so:$LIB" "$WORK/yes.out"
check "inherit = yes (the default): the child has libattls in its maps" \
	bash -c "sed '/^== environ/,\$d' '$WORK/yes.out' | grep -q libattls"
check "inherit = yes: the child's LD_PRELOAD still names attls" \
	grep -qx "LD_PRELOAD=$WORK/libother.so:$LIB" "$WORK/yes.out"

# posix_spawn too (python's os.posix_spawn calls libc's). /usr/bin/python3
# itself: a version manager's shim (pyenv's python3 is a shell script)
# would exec without attls before python runs.
spawned() { # POLICY OUT: a python3 under POLICY posix_spawns sleep; OUT gets its maps and environment
	timeout 30 env ATTLS_CONFIG="$1" LD_PRELOAD="$WORK/libother.so:$LIB" /usr/bin/python3 -c '
import os, sys, time
print("parent loaded attls:", "libattls" in open("/proc/self/maps").read())
pid = os.posix_spawn("/bin/sleep", ["sleep", "5"], dict(os.environ))
time.sleep(0.3)
sys.stdout.write(open(f"/proc/{pid}/maps").read())
print("== environ")
sys.stdout.write(open(f"/proc/{pid}/environ").read().replace("\0", "\n"))
os.kill(pid, 15)
os.waitpid(pid, 0)' >"$2" 2>&1
}
spawned "$WORK/noinh.ini" "$WORK/spawn_no.out"
check "inherit = no, posix_spawn: no libattls in the child, the other preload kept" \
	bash -c "grep -qx 'parent loaded attls: True' '$WORK/spawn_no.out' &&
		sed '/^== environ/,\$d' '$WORK/spawn_no.out' | grep -q libother.so &&
		! sed '/^== environ/,\$d' '$WORK/spawn_no.out' | grep -q libattls &&
		grep -qx 'LD_PRELOAD=$WORK/libother.so' '$WORK/spawn_no.out'"
spawned "$WORK/p.ini" "$WORK/spawn_yes.out"
check "inherit = yes, posix_spawn: libattls in the child" \
	bash -c "sed '/^== environ/,\$d' '$WORK/spawn_yes.out' | grep -q libattls"

# 5. inherit = no and a TLS fd handed to an exec'd program.
S=$(free_port)
policy "$WORK/socat.ini" <<EOF2
[global]
trace = error-stderr, error
inherit = no
handshake_timeout = 3s
[keyring srv]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic in]
direction = inbound
local_port = $S
keyring = srv
EOF2
bg env ATTLS_CONFIG="$WORK/socat.ini" LD_PRELOAD="$LIB" socat "TCP-LISTEN:$S,reuseaddr,fork" \
	EXEC:/bin/cat,nofork 2>"$WORK/socat.err"
SOCAT=$BGPID
wait_port "$S" || exit 1
out=$( (echo "line one"; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$S" \
	-servername localhost -CAfile "$PKI/ca.pem" 2>&1)
sleep 0.5
stop "$SOCAT"
check "inherit = no: cat does not echo the line (its fd was cut)" \
	bash -c '! grep -qx "line one" <<<"$1"' _ "$out"
check "inherit = no: ATTLS042E says the fd was cut because of inherit = no" \
	grep -q "ATTLS042E.*program=/bin/cat: the policy says inherit = no" "$WORK/socat.err"
finish

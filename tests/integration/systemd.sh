#!/usr/bin/env bash
# examples/systemd: the drop-in's environment brings up TLS for the program
# its unit runs (redis-server), read from the drop-in as systemd reads
# Environment= lines, with this tree's library and a test policy in place
# of the installed paths; with systemd as PID 1 the same through
# systemd-run. The unit that uses attls run refuses a broken policy with
# exit 78, which its RestartPreventExitStatus names.
source "$(dirname "$0")/lib.sh"
make_pki
D=$TOP/examples/systemd
P=$(free_port)
policy "$WORK/redis.ini" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic redis_in]
direction = inbound
local_port = $P
keyring = k
EOF2
# The drop-in's Environment= assignments, as KEY=VALUE words.
mapfile -t envs < <(sed -n 's/^Environment=//p' "$D/redis-server.service.d/attls.conf")
check "the drop-in sets LD_PRELOAD, ATTLS_CONFIG and ATTLS_JOBNAME" \
	bash -c 'printf "%s\n" "$@" | grep -q "^LD_PRELOAD=/usr/local/lib/attls/libattls.so$" &&
		printf "%s\n" "$@" | grep -q "^ATTLS_CONFIG=/etc/attls/redis.ini$" &&
		printf "%s\n" "$@" | grep -q "^ATTLS_JOBNAME=redis-server$"' _ "${envs[@]}"
# This tree's files in place of the installed ones.
run_env=()
for e in "${envs[@]}"; do
	case $e in
	LD_PRELOAD=*) run_env+=("LD_PRELOAD=$LIB") ;;
	ATTLS_CONFIG=*) run_env+=("ATTLS_CONFIG=$WORK/redis.ini") ;;
	*) run_env+=("$e") ;;
	esac
done
if [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ] && systemctl is-system-running >/dev/null 2>&1; then
	props=()
	for e in "${run_env[@]}"; do props+=(-p "Environment=$e"); done
	UNIT=attls-test-redis-$P
	systemd-run --unit="$UNIT" "${props[@]}" /usr/bin/redis-server --port "$P" \
		--bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1
	how="systemd-run"
else
	bg env "${run_env[@]}" redis-server --port "$P" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$WORK" --logfile "$WORK/redis.log"
	how="the drop-in's environment (systemd is not PID 1 here)"
fi
wait_port "$P" || { [ -n "${UNIT:-}" ] && systemctl stop "$UNIT"; exit 1; }
check "redis-server under $how: redis-cli --tls PING answers PONG" \
	[ "$(timeout 10 redis-cli --tls --cacert "$PKI/ca.pem" -h 127.0.0.1 -p "$P" ping 2>/dev/null)" = PONG ]
check "and in clear it does not answer (it speaks TLS only)" \
	bash -c "[ \"\$(timeout 5 redis-cli -h 127.0.0.1 -p $P ping 2>/dev/null)\" != PONG ]"
check "attls status lists it as job redis-server, with its descriptor" \
	bash -c "'$ATTLS' status --jobname redis-server 2>/dev/null | grep -q 'job redis-server .*policy $WORK/redis.ini'"
[ -n "${UNIT:-}" ] && systemctl stop "$UNIT" >/dev/null 2>&1

# The drop-in's ExecStartPre: attls check, with the drop-in's environment
# (systemd gives Environment= to ExecStartPre too). With the library loaded
# it passes; with an LD_PRELOAD path that names no library (a removed
# package, a typo) ld.so starts programs without attls, and the check fails.
pre=$(sed -n 's/^ExecStartPre=//p' "$D/redis-server.service.d/attls.conf")
check "the drop-in checks its policy before the program starts (ExecStartPre=$pre)" \
	[ "$pre" = "/usr/local/bin/attls check --preloaded /etc/attls/redis.ini" ]
read -r -a pre_cmd <<<"$(sed -e "s|/usr/local/bin/attls|$ATTLS|; s|/etc/attls/redis.ini|$WORK/redis.ini|" <<<"$pre")"
out=$(timeout 30 env "${run_env[@]}" "${pre_cmd[@]}" 2>&1)
rc=$?
check "ExecStartPre with the drop-in's environment passes (exit $rc)" \
	bash -c '[ "$1" = 0 ] && grep -q ": ok: 1 traffic descriptors" <<<"$2"' _ "$rc" "$out"
# with_preload ENTRY: run_env with its LD_PRELOAD=... entry replaced, into bad_env.
with_preload() {
	bad_env=()
	for e in "${run_env[@]}"; do
		case $e in
		LD_PRELOAD=*) bad_env+=("$1") ;;
		*) bad_env+=("$e") ;;
		esac
	done
}
# ld.so splits the list at colons and blanks.
for bad in "$WORK/nowhere/libattls.so" "$WORK/nowhere/libother.so $WORK/nowhere/libattls.so"; do
	with_preload "LD_PRELOAD=$bad"
	out=$(timeout 30 env "${bad_env[@]}" "${pre_cmd[@]}" 2>&1)
	rc=$?
	check "ExecStartPre with LD_PRELOAD=$bad fails (exit $rc), naming the path" \
		bash -c '[ "$1" = 1 ] && grep -q "^attls check: LD_PRELOAD names $2/nowhere/libattls.so, which did not load (No such file or directory): a program started with this environment runs without attls$" <<<"$3" &&
			! grep -q ": ok:" <<<"$3"' _ "$rc" "$WORK" "$out"
done
# Typos that name no libattls.so at all: a misspelt file name, a misspelt
# variable. --preloaded wants the library in the check itself.
for typo in "LD_PRELOAD=/usr/local/lib/attls/libattl.so" "LD_PRELAOD=$LIB"; do
	with_preload "$typo"
	out=$(timeout 30 env "${bad_env[@]}" "${pre_cmd[@]}" 2>&1)
	rc=$?
	check "ExecStartPre with $typo (a typo) fails (exit $rc): the library is not loaded" \
		bash -c '[ "$1" = 1 ] && grep -q "^attls check: --preloaded: attls.s library is not loaded into this process" <<<"$2"' _ "$rc" "$out"
done
# A library that is there but not one ld.so maps (not an ELF object here).
mkdir -p "$WORK/notelf" && echo "not a library" >"$WORK/notelf/libattls.so"
out=$(timeout 30 env LD_PRELOAD="$WORK/notelf/libattls.so" "$ATTLS" check --no-keys "$WORK/redis.ini" 2>&1)
rc=$?
check "a libattls.so that ld.so does not map fails too (exit $rc)" \
	bash -c '[ "$1" = 1 ] && grep -q "LD_PRELOAD names .*/notelf/libattls.so, which did not load (ld.so did not map it" <<<"$2"' _ "$rc" "$out"
out=$(timeout 30 env LD_PRELOAD=libattls.so "$ATTLS" check --no-keys "$WORK/redis.ini" 2>&1)
check "so does a bare libattls.so that ld.so does not find" \
	grep -q "LD_PRELOAD names libattls.so, which did not load" <<<"$out"
# With no attls library in LD_PRELOAD, nothing changes.
out=$(timeout 30 env LD_PRELOAD="$WORK/nowhere/libother.so" "$ATTLS" check --no-keys "$WORK/redis.ini" 2>&1)
rc=$?
check "an LD_PRELOAD without attls's library is not attls check's business (exit $rc)" \
	bash -c '[ "$1" = 0 ] && ! grep -q "attls check: LD_PRELOAD" <<<"$2"' _ "$rc" "$out"

# The library preloaded into attls check itself leaves the output alone:
# the same lines as without it, for a good policy and for a broken one
# (the library does not load its policy in the attls command, and says
# nothing of it on stderr).
printf '[traffic t]\nlocal_port = 7800\nkeyring = none\n' >"$WORK/broken.ini"
for pol in redis broken; do
	timeout 30 "$ATTLS" check "$WORK/$pol.ini" >"$WORK/plain.out" 2>"$WORK/plain.err"
	rc1=$?
	timeout 30 env LD_PRELOAD="$LIB" ATTLS_CONFIG="$WORK/$pol.ini" ATTLS_JOBNAME=redis-server \
		"$ATTLS" check "$WORK/$pol.ini" >"$WORK/pre.out" 2>"$WORK/pre.err"
	rc2=$?
	# The crypto device line holds throughputs measured each time.
	check "attls check $pol.ini with the library preloaded into it: exit $rc2, as without ($rc1), same output" \
		bash -c '[ "$1" = "$2" ] && cmp -s "$3/plain.err" "$3/pre.err" &&
			[ "$(head -1 "$3/plain.out")" = "$(head -1 "$3/pre.out")" ] &&
			[ "$(wc -l <"$3/plain.out")" = "$(wc -l <"$3/pre.out")" ]' _ "$rc1" "$rc2" "$WORK"
done
# The unit runs the command and the library only from its ExecPaths= (Debian's
# redis-server.service: NoExecPaths=/): the drop-in adds both.
dropin_lib=$(printf '%s\n' "${envs[@]}" | sed -n 's/^LD_PRELOAD=//p')
check "the drop-in's ExecPaths= has its library and its command" \
	bash -c 'x=" $(sed -n "s/^ExecPaths=//p" "$1" | tr "\n" " ") "
		[[ $x = *" -$2 "* ]] && [[ $x = *" -${3%% *} "* ]]' _ \
	"$D/redis-server.service.d/attls.conf" "$dropin_lib" "$pre"
if command -v systemd-analyze >/dev/null && [ -f /lib/systemd/system/redis-server.service ]; then
	# Debian's unit and the drop-in as one file, with this tree's paths.
	{
		cat /lib/systemd/system/redis-server.service
		sed -e "s|/usr/local/bin/attls|$ATTLS|g; s|/usr/local/lib/attls/|$TOP/build/|g" \
			"$D/redis-server.service.d/attls.conf"
	} >"$WORK/attls-redis.service"
	out=$(systemd-analyze verify "$WORK/attls-redis.service" 2>&1)
	rc=$?
	check "systemd-analyze verify: Debian's redis unit with the drop-in has no error (exit $rc)${out:+ ($out)}" \
		bash -c '[ "$1" = 0 ] && ! grep -qi "error\|unknown\|invalid" <<<"$2"' _ "$rc" "$out"
	sed "s|^ExecStartPre=$ATTLS |ExecStartPre=$WORK/removed/attls |" "$WORK/attls-redis.service" \
		>"$WORK/attls-removed.service"
	out=$(systemd-analyze verify "$WORK/attls-removed.service" 2>&1)
	check "with attls removed, systemd does not start it: its ExecStartPre is not executable" \
		grep -q "$WORK/removed/attls is not executable" <<<"$out"
fi

# attls check --user: as the user the service runs as (User=). A key of
# root's, mode 0600, is unreadable to that user; a key of the user's own
# is refused to root, unless root checks as the user.
chmod 711 "$WORK"
U=$WORK/asuser
mkdir -m 755 "$U"
cp "$PKI/server.pem" "$U/host.pem"
install -m 600 "$PKI/server.key" "$U/root.key"
install -o nobody -m 600 "$PKI/server.key" "$U/nobody.key"
for k in root nobody; do
	printf '[keyring k]\ncert = %s\nkey = %s\n[traffic t]\ndirection = inbound\nlocal_port = %s\nkeyring = k\n' \
		"$U/host.pem" "$U/$k.key" "$P" >"$U/$k.ini"
done
out=$(timeout 30 "$ATTLS" check "$U/root.ini" 2>&1)
check "root's key, mode 0600: attls check as root passes ($?)" grep -q ": ok:" <<<"$out"
out=$(timeout 30 "$ATTLS" check --user nobody "$U/root.ini" 2>&1)
rc=$?
check "root's key, checked --user nobody: Permission denied (exit $rc)" \
	bash -c '[ "$1" = 1 ] && grep -q "root.ini:3: key: $2/root.key: Permission denied" <<<"$3"' _ "$rc" "$U" "$out"
out=$(timeout 30 "$ATTLS" check "$U/nobody.ini" 2>&1)
rc=$?
check "nobody's key, checked as root: refused, naming the rule and --user (exit $rc)" \
	bash -c '[ "$1" = 1 ] && grep -q "nobody.key is owned by uid $(id -u nobody): it must be owned by root or by the user the program runs as; check as that user with attls check --user USER" <<<"$2"' _ "$rc" "$out"
for who in nobody "$(id -u nobody)"; do
	out=$(timeout 30 "$ATTLS" check --user "$who" "$U/nobody.ini" 2>&1)
	rc=$?
	check "nobody's key, checked --user $who: passes (exit $rc)" \
		bash -c '[ "$1" = 0 ] && grep -q "nobody.ini: ok: 1 traffic descriptors" <<<"$2"' _ "$rc" "$out"
done
out=$(timeout 30 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$ATTLS" check --user root "$U/nobody.ini" 2>&1)
rc=$?
check "--user another user, not as root: a usage error (exit $rc)" \
	bash -c '[ "$1" = 2 ] && grep -q "only root checks as another user" <<<"$2"' _ "$rc" "$out"
out=$(timeout 30 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$ATTLS" check --user nobody "$U/nobody.ini" 2>&1)
rc=$?
check "--user itself, not as root: checked (exit $rc)" [ "$rc" = 0 ]
out=$(timeout 30 "$ATTLS" check --user no-such-user-attls "$U/nobody.ini" 2>&1)
rc=$?
check "--user naming no user: a usage error (exit $rc)" \
	bash -c '[ "$1" = 2 ] && grep -q "no-such-user-attls: no such user" <<<"$2"' _ "$rc" "$out"

# The attls run unit: its ExecStart's policy, broken, is refused with 78,
# the exit status its RestartPreventExitStatus= names.
check "attls-broker.service starts through attls run and does not restart on 78" \
	bash -c "grep -q '^ExecStart=/usr/local/bin/attls run -c /etc/attls/broker.ini -j WI02BRK -- ' '$D/attls-broker.service' &&
		grep -q '^RestartPreventExitStatus=78$' '$D/attls-broker.service'"
printf '[traffic t]\nlocal_port = 7800\nkeyring = none\n' >"$WORK/broken.ini"
"$ATTLS" run -c "$WORK/broken.ini" -j WI02BRK -- /bin/true 2>/dev/null
check "a broken policy: attls run exits 78 ($?), which systemd shows as status=78/CONFIG" [ $? = 78 ]
if command -v systemd-analyze >/dev/null; then
	sed -e "s|/usr/local/bin/attls|$ATTLS|; s|/etc/attls/broker.ini|$WORK/broken.ini|" \
		"$D/attls-broker.service" >"$WORK/attls-broker.service"
	out=$(systemd-analyze verify "$WORK/attls-broker.service" 2>&1)
	check "systemd-analyze verify: the unit has no error${out:+ ($out)}" \
		bash -c '! grep -qi "error\|unknown\|invalid" <<<"$1"' _ "$out"
fi
finish

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

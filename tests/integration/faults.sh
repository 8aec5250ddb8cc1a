#!/usr/bin/env bash
# A hostile kernel: a preload stacked after attls makes its socket calls
# fail with EAGAIN and come up short at random. nginx and redis, and their
# native TLS clients, must not notice.
source "$(dirname "$0")/lib.sh"
PRELOAD="$LIB $TOP/build/libfault.so"
source "$(dirname "$0")/servers.sh"
make_pki
make_files
export FAULT_LOG=$WORK/faults.log FAULT_SEED=$RANDOM FAULT_RATE=25
say "FAULT_SEED=$FAULT_SEED FAULT_RATE=$FAULT_RATE"
# nginx's workers run as nobody and append to it too.
: >"$FAULT_LOG"
chmod 666 "$FAULT_LOG"

N=$(free_port)
R=$(free_port)
server_policy "$WORK/p.ini" "$N" "$R"
start_nginx "$WORK/p.ini" "$N" 1 || exit 1
check_nginx "$N" "nginx with faults"
start_redis "$WORK/p.ini" "$R" || exit 1
check_redis "$R" "redis with faults"
stop "$NGINX_PID"
stop "$REDIS_PID"
say "injected: $(awk '{a += $3; s += $5} END {print a " EAGAIN, " s " short"}' "$WORK/faults.log" 2>/dev/null)"
check "faults were injected into both servers" \
	[ "$(awk '$3 > 100 && $5 > 100' "$WORK/faults.log" 2>/dev/null | wc -l)" -ge 2 ]
finish

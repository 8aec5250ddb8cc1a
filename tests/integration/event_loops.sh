#!/usr/bin/env bash
# Event loops on non-blocking sockets: nginx (sendfile, 1 and 2 workers),
# redis, mosquitto, python asyncio and a JVM, each unmodified under attls,
# against native TLS peers; an idle server does not spin, a stalled peer is
# dropped after handshake_timeout.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
PY=$TOP/tests/integration/py
make_pki
make_files

# nginx with one worker, then two.
N1=$(free_port)
N2=$(free_port)
server_policy "$WORK/n.ini" "$N1" "$N2"
start_nginx "$WORK/n.ini" "$N1" 1 || exit 1
check_nginx "$N1" "nginx, 1 worker"
start_nginx "$WORK/n.ini" "$N2" 2 || exit 1
check_nginx "$N2" "nginx, 2 workers"

# Idle: one connection mid-handshake, one open and quiet; nginx must sleep.
python3 "$PY/stall.py" "$N1" "" 8 >"$WORK/stall.out" &
STALL=$!
(sleep 6 | timeout 8 openssl s_client -quiet -connect "127.0.0.1:$N1" -CAfile "$PKI/ca.pem" \
	>/dev/null 2>&1) &
IDLE=$!
sleep 1
workers=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
ms=$(python3 "$PY/idle_cpu.py" "$NGINX_PID" $workers 1.5)
say "nginx workers used ${ms} ms of CPU in 1.5 s while idle"
check "an idle nginx under attls does not spin (<= 50 ms CPU in 1.5 s)" [ "$ms" -le 50 ]
wait "$STALL"
check "a peer that stalls mid-handshake is dropped after handshake_timeout (3 s): $(cat "$WORK/stall.out")" \
	grep -Eq "dropped after [3-5]\." "$WORK/stall.out"
wait "$IDLE"
check "the timeout is logged" grep -q "ATTLS023E handshake timed out.*no progress within 3000 ms" \
	"$WORK/nginx.$N1/stderr.log" "$WORK/nginx.$N1/error.log"
stop "$NGINX_PID"

# redis
R=$(free_port)
server_policy "$WORK/r.ini" "$R"
start_redis "$WORK/r.ini" "$R" || exit 1
check_redis "$R" "redis"

# mosquitto with a plain listener.
M=$(free_port)
server_policy "$WORK/m.ini" "$M"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$M" >"$WORK/mq.conf"
bg env ATTLS_CONFIG="$WORK/m.ini" LD_PRELOAD="$LIB" mosquitto -c "$WORK/mq.conf"
wait_port "$M" || exit 1
mq=(-h localhost -p "$M" --cafile "$PKI/ca.pem" -t attls/test -q 1)
timeout 30 mosquitto_sub "${mq[@]}" -C 6 -N >"$WORK/sub.out" 2>"$WORK/sub.err" &
SUB=$!
sleep 1
: >"$WORK/sent"
for s in 10 1000 100000 1048576; do
	head -c "$s" /dev/urandom | base64 -w0 | head -c "$s" >"$WORK/msg"
	timeout 10 mosquitto_pub "${mq[@]}" -f "$WORK/msg"
	cat "$WORK/msg" >>"$WORK/sent"
done
for i in 1 2; do
	timeout 10 mosquitto_pub "${mq[@]}" -m "last $i"
	printf 'last %s' "$i" >>"$WORK/sent"
done
wait "$SUB"
check "mosquitto: messages of 10 B to 1 MiB delivered in order, intact" cmp -s "$WORK/sent" "$WORK/sub.out"

# python3 asyncio: the server under attls with a native TLS client, and the
# client under attls with a native TLS server.
A=$(free_port)
B=$(free_port)
in_out_policy "$WORK/a.ini" "$A" "$B"
sizes="1 100 16384 1000000 4000000"
bg env ATTLS_CONFIG="$WORK/a.ini" LD_PRELOAD="$LIB" python3 "$PY/aio_echo.py" server "$A"
bg python3 "$PY/aio_echo.py" server "$B" "$PKI/server.pem" "$PKI/server.key"
wait_port "$A" && wait_port "$B" || exit 1
check "asyncio server under attls echoes 1 B to 4 MB to native TLS clients" \
	timeout 60 python3 "$PY/aio_echo.py" client "$A" $sizes --ca "$PKI/ca.pem"
check "asyncio client under attls gets 1 B to 4 MB echoed by a native TLS server" \
	under "$WORK/a.ini" python3 "$PY/aio_echo.py" client "$B" $sizes

# A JVM: the JDK's HttpServer under attls with curl; a NIO client under
# attls (non-blocking connect, one selector) with a native TLS server.
J=$(free_port)
sed "s/^local_port = $A/local_port = $J/" "$WORK/a.ini" >"$WORK/j.ini"
mkdir -p "$WORK/classes"
if ! javac -d "$WORK/classes" "$TOP/tests/integration/java/EventLoop.java"; then
	fail "javac EventLoop.java"
else
	bg env ATTLS_CONFIG="$WORK/j.ini" LD_PRELOAD="$LIB" java -cp "$WORK/classes" EventLoop \
		server "$J" "$WORK/www"
	wait_port "$J" 30 || exit 1
	ok=true
	for s in 1024 1048576 16777216; do
		timeout 30 curl -sS --cacert "$PKI/ca.pem" -o "$WORK/got" "https://localhost:$J/f$s"
		cmp -s "$WORK/got" "$WORK/www/f$s" || ok=false
	done
	check "JVM HttpServer under attls: curl fetched 1 KiB, 1 MiB and 16 MiB intact" $ok
	check "JVM NIO client under attls: 1 B to 4 MB echoed intact by a native TLS server" \
		under "$WORK/j.ini" java -cp "$WORK/classes" EventLoop client "$B" $sizes
fi
finish

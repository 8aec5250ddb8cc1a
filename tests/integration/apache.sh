#!/usr/bin/env bash
# Apache httpd with mpm_event under attls: its listener thread sits in
# epoll_wait while worker threads add connections to the set. EnableSendfile
# On, files of 1 KiB to 16 MiB under wrk over https, two graceful restarts
# during the load; every file intact afterwards (sha256, curl), and no child
# dead (AH00052, "child pid ... exit signal", in the error log fails).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
command -v apache2 >/dev/null || PATH=$PATH:/usr/sbin
make_pki
make_files
P=$(free_port)
server_policy "$WORK/a.ini" "$P"
A=$WORK/apache
M=/usr/lib/apache2/modules
mkdir -p "$A"
chmod 755 "$A"
cat >"$A/httpd.conf" <<EOF2
ServerRoot "$A"
DefaultRuntimeDir "$A"
PidFile "$A/httpd.pid"
ErrorLog "$A/error.log"
LogLevel info
LoadModule mpm_event_module $M/mod_mpm_event.so
LoadModule authz_core_module $M/mod_authz_core.so
User www-data
Group www-data
ServerName localhost
Listen 127.0.0.1:$P
DocumentRoot "$WORK/www"
<Directory "$WORK/www">
	Require all granted
</Directory>
EnableSendfile On
KeepAlive On
MaxKeepAliveRequests 0
StartServers 2
ServerLimit 4
ThreadsPerChild 16
MaxRequestWorkers 64
EOF2
bg env ATTLS_CONFIG="$WORK/a.ini" LD_PRELOAD="$LIB" apache2 -f "$A/httpd.conf" -DFOREGROUND
HTTPD=$BGPID
wait_port "$P" || { cat "$A/error.log"; exit 1; }

# Load on four sizes at once; two graceful restarts (SIGUSR1) meanwhile.
WRK=()
for s in 1024 65536 1048576 16777216; do
	c=8
	[ "$s" -ge 1048576 ] && c=2
	timeout 60 wrk -t1 -c"$c" -d9s "https://localhost:$P/f$s" >"$WORK/wrk.$s" 2>&1 &
	WRK+=($!)
done
sleep 3
kill -USR1 "$HTTPD"
sleep 3
kill -USR1 "$HTTPD"
for pid in "${WRK[@]}"; do wait "$pid"; done
sleep 1

for s in 1024 65536 1048576 16777216; do
	say "wrk f$s: $(grep -E 'requests in' "$WORK/wrk.$s" | tr -s ' ') $(grep -E 'Socket errors|Non-2xx' "$WORK/wrk.$s" | tr -s ' ' | tr '\n' ' ')"
	check "wrk on f$s: requests answered, none non-2xx" \
		bash -c "grep -Eq '^ +[1-9][0-9]* requests in' '$WORK/wrk.$s' && ! grep -q 'Non-2xx' '$WORK/wrk.$s'"
done

ok=true
for s in 1024 65536 1048576 16777216; do
	if ! timeout 30 curl -sf --cacert "$PKI/ca.pem" "https://localhost:$P/f$s" -o "$WORK/got" ||
		! [ "$(sha256sum <"$WORK/got")" = "$(sha256sum <"$WORK/www/f$s")" ]; then
		say "f$s: not intact"
		ok=false
	fi
done
check "after two graceful restarts, curl fetches 1 KiB to 16 MiB intact (sha256)" $ok
check "two graceful restarts done" [ "$(grep -c 'AH00493' "$A/error.log")" -ge 2 ]
grep -E "AH00052|exit signal" "$A/error.log" | head -3 | while read -r l; do say "$l"; done
check "no child died (no AH00052 in the error log)" bash -c "! grep -q AH00052 '$A/error.log'"
stop "$HTTPD"
finish

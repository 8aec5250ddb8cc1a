# The servers the benchmark compares, all on 127.0.0.1, one worker each,
# the same ECDSA P-256 certificate, TLS 1.3 with AES-128-GCM.
# SPDX-License-Identifier: GPL-2.0-or-later

# attls_policy FILE DEVICE PORT...: TLS 1.3, AES-128-GCM, inbound ports.
attls_policy() {
	local f=$1 dev=$2 p
	shift 2
	{
		printf '[global]\ntrace = error-stderr, error\n[crypto]\ndevice = %s\n' "$dev"
		printf '[keyring k]\ncert = @PKI@/server.pem\nkey = @PKI@/server.key\n'
		printf '[security s]\nprotocols = TLSv1.3\nciphers = TLS13-AES128-GCM-SHA256\n'
		for p in "$@"; do
			printf '[traffic in_%s]\ndirection = inbound\nlocal_port = %s\n' "$p" "$p"
			printf 'keyring = k\nsecurity = s\n'
		done
	} | policy "$f"
}

bench_files() {
	mkdir -p "$WORK/www"
	chmod 755 "$WORK" "$WORK/www"
	head -c 1024 /dev/urandom >"$WORK/www/f1024"
	head -c 65536 /dev/urandom >"$WORK/www/f65536"
	head -c 4194304 /dev/urandom >"$WORK/www/f4m"
}

# nginx_start NAME PORT TLS(yes|no) [PRELOAD POLICY]: one worker.
nginx_start() {
	local d=$WORK/nginx.$1 tls=
	[ "$3" = yes ] && tls=" ssl;
		ssl_certificate $PKI/server.pem;
		ssl_certificate_key $PKI/server.key;
		ssl_protocols TLSv1.3;
		ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
		ssl_session_tickets on"
	nginx_conf "$d" "$2" 1 "$tls"
	if [ -n "${4:-}" ]; then
		bg env ATTLS_CONFIG="$5" LD_PRELOAD="$4" "${SRV[@]}" nginx -e "$d/error.log" -p "$d" \
			-c "$d/nginx.conf"
	else
		bg "${SRV[@]}" nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf"
	fi
	wait_port "$2"
}

# stunnel_start NAME ACCEPT CONNECT: TLS in front of a plain port.
stunnel_start() {
	cat >"$WORK/stunnel.$1.conf" <<EOF2
foreground = yes
pid =
debug = 3
output = $WORK/stunnel.$1.log
[s]
accept = 127.0.0.1:$2
connect = 127.0.0.1:$3
cert = $PKI/server.pem
key = $PKI/server.key
sslVersion = TLSv1.3
ciphersuites = TLS_AES_128_GCM_SHA256
EOF2
	bg "${SRV[@]}" stunnel4 "$WORK/stunnel.$1.conf"
	wait_port "$2"
}

# redis_start NAME PORT [tls|PRELOAD POLICY]
redis_start() {
	local args=(--bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" --maxclients 15000
		--logfile "$WORK/redis.$1.log")
	if [ "${3:-}" = tls ]; then
		args+=(--port 0 --tls-port "$2" --tls-cert-file "$PKI/server.pem"
			--tls-key-file "$PKI/server.key" --tls-auth-clients no
			--tls-protocols TLSv1.3 --tls-ciphersuites TLS_AES_128_GCM_SHA256)
		bg "${SRV[@]}" redis-server "${args[@]}"
	elif [ -n "${3:-}" ]; then
		bg env ATTLS_CONFIG="$4" LD_PRELOAD="$3" "${SRV[@]}" redis-server --port "$2" "${args[@]}"
	else
		bg "${SRV[@]}" redis-server --port "$2" "${args[@]}"
	fi
	wait_port "$2"
}

# Servers for the outside scanners (sslscan.sh, testssl.sh), and what they
# must find. Sourced after lib.sh.
# SPDX-License-Identifier: GPL-2.0-or-later

# scan_servers: python3's http.server under attls at the default security
# level, with an ECDSA P-256 key on $EC_PORT and an RSA-2048 key on
# $RSA_PORT.
scan_servers() {
	make_pki || return 1
	(
		cd "$PKI" || exit 1
		openssl genrsa -out rsa.key 2048 2>/dev/null && chmod 600 rsa.key &&
			openssl req -new -key rsa.key -subj "/O=attls test/CN=localhost" -out rsa.csr &&
			printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >rsa.ext &&
			openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
				-extfile rsa.ext -out rsa.pem 2>/dev/null
	) || return 1
	EC_PORT=$(free_port)
	RSA_PORT=$(free_port)
	policy "$WORK/scan.ini" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 5s
[keyring ec]
cert = @PKI@/server.pem
key = @PKI@/server.key
[keyring rsa]
cert = @PKI@/rsa.pem
key = @PKI@/rsa.key
[traffic ec]
direction = inbound
local_port = $EC_PORT
keyring = ec
[traffic rsa]
direction = inbound
local_port = $RSA_PORT
keyring = rsa
EOF2
	mkdir -p "$WORK/www"
	echo "attls under scan" >"$WORK/www/index.html"
	serve_dir "$WORK/scan.ini" "$WORK/www" "$EC_PORT" "$WORK/ec.log" || return 1
	serve_dir "$WORK/scan.ini" "$WORK/www" "$RSA_PORT" "$WORK/rsa.log"
}

# level_suites ecdsa|rsa: the suites attls's default level offers with such
# a key, "VERSION NAME" (OpenSSL's names), read from its definition in
# lib/tlsctx.c.
level_suites() {
	sed -n '/attls_default_ciphers\[\] =/,/;/p' "$TOP/lib/tlsctx.c" | grep -o '"[^"]*"' |
		tr -d '"\n' | tr ':' '\n' | sed '$a\\' | sed '/^$/d' | while read -r s; do
		case $s in
		TLS13-AES128-GCM-SHA256) echo "TLSv1.3 TLS_AES_128_GCM_SHA256" ;;
		TLS13-AES256-GCM-SHA384) echo "TLSv1.3 TLS_AES_256_GCM_SHA384" ;;
		TLS13-CHACHA20-POLY1305-SHA256) echo "TLSv1.3 TLS_CHACHA20_POLY1305_SHA256" ;;
		TLS13-*) echo "TLSv1.3 unknown-$s" ;;
		*-ECDSA-*) [ "$1" = ecdsa ] && echo "TLSv1.2 $s" ;;
		*-RSA-*) [ "$1" = rsa ] && echo "TLSv1.2 $s" ;;
		*) echo "TLSv1.2 unknown-$s" ;;
		esac
	done | sort
}

# probe_suites PORT: what openssl s_client can agree with the server on,
# one suite at a time, among every suite OpenSSL knows, "VERSION NAME".
probe_suites() {
	local s
	for s in $(openssl ciphers -tls1_2 'ALL:COMPLEMENTOFALL:@SECLEVEL=0' | tr ':' ' '); do
		case $s in TLS_*) continue ;; esac
		timeout 10 openssl s_client -connect "127.0.0.1:$1" -tls1_2 -cipher "$s:@SECLEVEL=0" \
			</dev/null 2>/dev/null | grep -q "Cipher is $s\$" && echo "TLSv1.2 $s"
	done
	for s in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256 \
		TLS_AES_128_CCM_SHA256 TLS_AES_128_CCM_8_SHA256; do
		timeout 10 openssl s_client -connect "127.0.0.1:$1" -tls1_3 -ciphersuites "$s" \
			</dev/null 2>/dev/null | grep -q "Cipher is $s\$" && echo "TLSv1.3 $s"
	done
	return 0
}

# judged WHAT: each "ok|FAIL<TAB>text" line of stdin as a check.
judged() {
	local verdict text
	while IFS=$'\t' read -r verdict text; do
		if [ "$verdict" = ok ]; then pass "$1: $text"; else fail "$1: $text"; fi
	done
}

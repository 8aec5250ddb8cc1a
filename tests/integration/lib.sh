# Helpers for the integration tests: a throw-away CA, free ports, bounded
# waits, and processes stopped by their pid. Sourced by each test.
# SPDX-License-Identifier: GPL-2.0-or-later

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LIB="$TOP/build/libattls.so"
ATTLS="$TOP/build/attls"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/attls-test.XXXXXX")
PIDS=()
FAILS=0
TEST_NAME=$(basename "$0")

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -9 "$pid" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '  %s\n' "$*"; }
pass() { printf '  ok   %s\n' "$*"; }
fail() {
	printf '  FAIL %s\n' "$*"
	FAILS=$((FAILS + 1))
}
# check "what" command...: passes when the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
	if [ "$FAILS" -gt 0 ]; then
		echo "$TEST_NAME: $FAILS failed"
		exit 1
	fi
	echo "$TEST_NAME: all passed"
}

# A port nothing listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bg CMD...: starts CMD in the background, records its pid in PIDS and $BGPID.
bg() {
	"$@" &
	BGPID=$!
	PIDS+=("$BGPID")
}

# stop PID: ends one process started with bg, bounded.
stop() {
	kill "$1" 2>/dev/null
	timeout 5 tail --pid="$1" -f /dev/null 2>/dev/null || kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# A throw-away PKI in $WORK/pki: a CA, a server certificate for localhost
# and 127.0.0.1, a client certificate, an expired server certificate, and
# a second CA nothing trusts.
make_pki() {
	local d=$WORK/pki
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null && chmod 600 "$1"; }
		ca() {
			key "$1.key"
			openssl req -x509 -new -key "$1.key" -subj "/O=attls test/CN=$2" -days 2 \
				-addext basicConstraints=critical,CA:TRUE -out "$1.pem" 2>/dev/null
		}
		# leaf NAME CA CN DAYS SAN
		leaf() {
			key "$1.key"
			openssl req -new -key "$1.key" -subj "/O=attls test/CN=$3" -out "$1.csr" 2>/dev/null
			printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$5" >"$1.ext"
			openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
				-days "$4" -extfile "$1.ext" -out "$1.pem" 2>/dev/null
		}
		ca ca "attls test CA"
		ca otherca "untrusted CA"
		leaf server ca localhost 2 "DNS:localhost,IP:127.0.0.1"
		leaf client ca "test client" 2 "DNS:client.test"
		leaf expired ca localhost -1 "DNS:localhost,IP:127.0.0.1"
		leaf wrongname ca elsewhere.test 2 "DNS:elsewhere.test"
		leaf stranger otherca localhost 2 "DNS:localhost,IP:127.0.0.1"
	) || return 1
	PKI=$d
}

# policy FILE: writes a policy from stdin (with PKI paths substituted).
policy() {
	sed "s|@PKI@|$PKI|g" >"$1"
}

# client_policy FILE PORTS: PORTS (a policy list) outbound, TLS client to
# "localhost", trusting the test CA; errors to stderr too.
client_policy() {
	policy "$1" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
ca = @PKI@/ca.pem
[traffic out]
direction = outbound
remote_port = $2
server_name = localhost
keyring = k
EOF2
}

# under POLICY CMD...: runs CMD with the shim and POLICY, for 30 s at most.
under() {
	local pol=$1
	shift
	timeout 30 env ATTLS_CONFIG="$pol" LD_PRELOAD="$LIB" "$@"
}

# wait_port PORT [SECONDS]: until something listens on 127.0.0.1:PORT
# (asks the kernel, so that no test connection reaches the program).
wait_port() {
	local port=$1 limit=${2:-10} i
	for ((i = 0; i < limit * 20; i++)); do
		if [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "nothing listens on port $port after ${limit}s" >&2
	return 1
}

# serve_dir POLICY DIR PORT LOG [JOBNAME]: python3 -m http.server on DIR,
# under attls with POLICY, in the background; waits until it listens.
serve_dir() {
	(cd "$2" && exec env ATTLS_CONFIG="$1" ATTLS_JOBNAME="${5:-}" LD_PRELOAD="$LIB" \
		python3 -m http.server --bind 127.0.0.1 "$3" >>"$4" 2>&1) &
	BGPID=$!
	PIDS+=("$BGPID")
	wait_port "$3"
}

# syscall_peers POLICY: the native TLS peers of py/syscalls.py (tls_peer.py
# on $E, $H and $R, and openssl s_server with a certificate for another
# name on $B), and a client policy that makes those four ports TLS.
syscall_peers() {
	E=$(free_port)
	H=$(free_port)
	R=$(free_port)
	B=$(free_port)
	policy "$1" <<EOF2
[global]
trace = error-stderr, error
handshake_timeout = 5s
[keyring k]
cert = @PKI@/client.pem
key = @PKI@/client.key
ca = @PKI@/ca.pem
[traffic peers]
direction = outbound
remote_port = $E, $H, $R, $B
keyring = k
server_name = localhost
EOF2
	bg python3 "$TOP/tests/integration/py/tls_peer.py" "$PKI/server.pem" "$PKI/server.key" \
		"$E" "$H" "$R" "$WORK/records.log"
	bg openssl s_server -quiet -accept "$B" -cert "$PKI/wrongname.pem" -key "$PKI/wrongname.key"
	wait_port "$E" && wait_port "$H" && wait_port "$R" && wait_port "$B"
}

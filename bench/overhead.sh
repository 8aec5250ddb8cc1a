# What attls costs a socket that matches nothing: 1-byte ping-pong over a
# socketpair and loopback TCP, with and without attls loaded (a policy
# that matches no connection), and callgrind's instructions per call.
# SPDX-License-Identifier: GPL-2.0-or-later

overhead_bench() {
	local pp=$WORK/pingpong rounds=$((SECS * 20000)) kind mode
	cc -O2 -o "$pp" "$BENCH/pingpong.c" || return 1
	policy "$WORK/none.ini" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
cert = @PKI@/server.pem
key = @PKI@/server.key
[traffic elsewhere]
direction = inbound
local_port = 1
keyring = k
EOF2
	for r in $(seq "$ROUNDS"); do
		echo "== non-matching overhead, round $r"
		for kind in socketpair tcp; do
			record "overhead, $kind" "without attls" "ns per round trip" \
				"$("${CLI[@]}" "$pp" "$kind" "$rounds")"
			record "overhead, $kind" "attls loaded, no match" "ns per round trip" \
				"$(ATTLS_CONFIG="$WORK/none.ini" LD_PRELOAD="$LIB" "${CLI[@]}" "$pp" "$kind" "$rounds")"
		done
	done
	# Instructions per read or write: the difference between two run
	# lengths removes start-up, for each setup.
	for kind in socketpair tcp; do
		for mode in without with; do
			local env=() ir1 ir2
			[ "$mode" = with ] && env=(ATTLS_CONFIG="$WORK/none.ini" LD_PRELOAD="$LIB")
			ir1=$(callgrind_ir "$pp" "$kind" 2000 "${env[@]}")
			ir2=$(callgrind_ir "$pp" "$kind" 12000 "${env[@]}")
			CALLGRIND[$kind.$mode]=$(((ir2 - ir1) / 20000))
		done
	done
}

declare -A CALLGRIND

# Instructions the parent process executed (its reads and writes).
callgrind_ir() { # PROGRAM KIND ROUNDS [ENV...]
	local prog=$1 kind=$2 n=$3 out=$WORK/cg.out
	shift 3
	rm -f "$out".*
	env "$@" valgrind --tool=callgrind --callgrind-out-file="$out.%p" "$prog" "$kind" "$n" \
		>/dev/null 2>"$WORK/cg.log"
	# The parent's file is the one of the lowest pid.
	awk '/^summary:/ {print $2}' "$(ls "$out".* | sort -t. -k3 -n | head -1)"
}

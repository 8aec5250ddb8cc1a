#!/usr/bin/env bash
# A policy that cannot be read is no policy, and no policy refuses: a
# directory, /dev/null, /dev/zero, a FIFO, a file over 16 MiB, a policy
# with no [traffic] descriptor, and a file whose read fails part-way.
# Each: attls check exits 1 with the reason; a program under it is refused
# at once (no hang), and a recorder sees no clear text.
source "$(dirname "$0")/lib.sh"
PY=$TOP/tests/integration/py
make_pki
R=$(free_port)
bg python3 "$PY/recorder.py" "$R" "$WORK/rec" --lifetime 120
wait_port "$R" || exit 1
cc -shared -fPIC -O2 -o "$WORK/read_fault.so" "$TOP/tests/integration/c/read_fault.c" -ldl || exit 1

good() { # FILE: a sound policy that covers the recorder's port
	policy "$1" <<EOF2
[keyring k]
ca = @PKI@/ca.pem
[traffic out]
direction = outbound
remote_port = $R
server_name = localhost
keyring = k
EOF2
}
mkdir -p "$WORK/dir"
mkfifo "$WORK/fifo"
good "$WORK/big.ini"
truncate -s $((16 * 1024 * 1024 + 1)) "$WORK/big.ini"
printf '[global]\ntrace = error\n' >"$WORK/empty.ini"
good "$WORK/eio.ini"
# Long enough that the first 16 bytes are not all of it.
for i in $(seq 40); do printf '; padding line %d\n' "$i"; done >>"$WORK/eio.ini"

# try NAME FILE REASON [PRELOAD...]
try() {
	local name=$1 file=$2 reason=$3 pre="$LIB ${4:-}" t0 t1 rc
	READ_FAULT_PATH=$file timeout 10 env LD_PRELOAD="${4:+$4}" "$ATTLS" check "$file" \
		>"$WORK/$name.check" 2>&1
	rc=$?
	check "$name: attls check exits 1 (exit $rc)" [ $rc -eq 1 ]
	check "$name: attls check says why: $(head -1 "$WORK/$name.check")" \
		grep -q -- "$reason" "$WORK/$name.check"
	t0=$(date +%s%N)
	printf 'SECRET-%s\n' "$name" | READ_FAULT_PATH=$file timeout 20 env ATTLS_CONFIG="$file" \
		LD_PRELOAD="$pre" socat -t1 - "TCP:127.0.0.1:$R" >/dev/null 2>"$WORK/$name.err"
	rc=$?
	t1=$(date +%s%N)
	check "$name: the connect is refused (socat exit $rc)" [ $rc -ne 0 -a $rc -ne 124 ]
	check "$name: at once, no hang ($(((t1 - t0) / 1000000)) ms)" [ $(((t1 - t0) / 1000000)) -lt 5000 ]
	check "$name: the program's stderr says why" grep -q -- "$reason" "$WORK/$name.err"
	check "$name: no clear text reached the recorder" \
		bash -c "! grep -q 'SECRET-$name' '$WORK/rec' 2>/dev/null"
}
try directory "$WORK/dir" "is not a regular file"
try devnull /dev/null "is not a regular file"
try devzero /dev/zero "is not a regular file"
try fifo "$WORK/fifo" "is not a regular file"
try toobig "$WORK/big.ini" "more than the 16 MiB a policy may have"
try notraffic "$WORK/empty.ini" "no traffic descriptor: nothing would be protected"
try readerror "$WORK/eio.ini" "cannot read policy: Input/output error" "$WORK/read_fault.so"
# The same policy without the fault is sound: the fault made the refusal.
"$ATTLS" check "$WORK/eio.ini" >"$WORK/eio-ok.check" 2>&1
check "the policy read part-way is sound when read whole" [ $? -eq 0 ]
finish

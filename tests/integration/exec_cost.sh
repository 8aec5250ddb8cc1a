#!/usr/bin/env bash
# What an exec under attls costs in memory (the budget: at most 2048 KiB of
# max RSS over the same exec without attls, bench/exec.sh measures it in
# full): the code a program's start runs is placed together (lib/hot.ld,
# made by bench/hotlist.sh), and /bin/true under a policy with a server key
# ring stays within the budget both as a job no descriptor names and as
# the job that reads the key ring and proves its key.
source "$(dirname "$0")/lib.sh"
make_pki

# The section and what must be in it: the constructor, the key proof,
# wolfSSL's certificate loading and the P-256 signature.
read -r start size < <(readelf -SW "$LIB" | awk '$2 == ".text.attls_start" {print $4, $6}')
start=$((16#${start:-0})) size=$((16#${size:-0}))
check "libattls.so has the start section (.text.attls_start)" [ "$start" -gt 0 ]
check "the start section is compact: $size bytes, at most 256 KiB" \
	test "$size" -gt 0 -a "$size" -le 262144
inside() { # FUNCTION: whether it lies in the start section
	local a
	a=$(nm --defined-only "$LIB" | awk -v f="$1" '$3 == f {print $1; exit}')
	[ -n "$a" ] && a=$((16#$a)) && [ "$start" -gt 0 ] && [ "$a" -ge "$start" ] &&
		[ "$a" -lt $((start + size)) ]
}
for f in attls_start attls_keyproof attls_tlsctx_build ProcessBuffer ParseCertRelative \
	sp_ecc_sign_256 wolfSSL_CTX_new; do
	check "$f is in the start section" inside "$f"
done

cc -O2 -std=c11 -Wall -Wextra -Werror -o "$WORK/execcost" "$TOP/bench/execcost.c" ||
	{ fail "cannot build bench/execcost.c"; finish; }
policy "$WORK/exec.ini" <"$TOP/bench/exec.ini"
read -r _ plain < <(timeout 60 "$WORK/execcost" 30 /bin/true)
for job in true X; do
	read -r ms kib < <(timeout 60 "$WORK/execcost" 30 /bin/true LD_PRELOAD="$LIB" \
		ATTLS_CONFIG="$WORK/exec.ini" ATTLS_JOBNAME="$job")
	over=$(( ${kib:-999999} - ${plain:-0} ))
	check "job $job: /bin/true's max RSS is ${kib:-?} KiB, $over over the plain exec's ${plain:-?} (at most 2048; ${ms:-?} ms)" \
		test -n "${plain:-}" -a "$over" -le 2048
done
finish

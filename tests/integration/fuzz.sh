#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz): every regression input passes, and
# each target runs FUZZ_SECONDS (30 by default) without a crash, a leak or
# a sanitizer report. make fuzz runs them longer.
source "$(dirname "$0")/lib.sh"
secs=${FUZZ_SECONDS:-30}
for t in policy values p11uri session; do
	check "fuzz target $t is built" [ -x "$TOP/build/fuzz/$t" ]
done
check "the session target's PKI is made" [ -f "$TOP/build/fuzz/pki/ok" ]
for t in policy values p11uri session; do
	out=$("$TOP/tests/fuzz/run" "$secs" "$t" 2>&1)
	rc=$?
	while IFS= read -r line; do say "$line"; done <<<"$out"
	check "fuzz target $t: ${secs} s without a finding" [ "$rc" = 0 ]
done
finish

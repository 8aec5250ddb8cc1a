#!/usr/bin/env bash
# epoll with threads: a listener already blocked in epoll_wait when workers
# add the first TLS fds (on the epoll fd, or on a dup of it), and two threads waiting on one set of 200 TLS
# connections. 10,000 events each; every event's data must be one the
# program registered, for the connection whose message it carries, and
# come once per arming.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
C=$TOP/tests/integration/c
make_pki
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -pthread -o "$WORK/epoll_threads" \
	"$C/epoll_threads.c" || exit 1

run() { # MODE ROUNDS
	local p out
	p=$(free_port)
	in_out_policy "$WORK/p.ini" "$p" "$p"
	out=$(timeout 120 env ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" \
		"$WORK/epoll_threads" "$1" "$p" "$2" 2>&1)
	say "$1: $(tail -1 <<<"$out")"
	grep -E "^(FAIL|foreign|connection|event for)" <<<"$out" | head -5 | while read -r l; do say "$l"; done
	! grep -q "^FAIL" <<<"$out" && grep -q "^events 10000 foreign 0 duplicate 0 wrong 0$" <<<"$out"
}

check "a wait blocked before the first TLS fd is added never returns attls's tag (10,000 events)" \
	run late 25
check "the same, the listener waiting on a dup of the epoll fd" \
	run dup 25
check "two threads waiting on one set of 200 TLS connections: each event once, with its data" \
	run shared 50
finish

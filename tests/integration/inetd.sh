#!/usr/bin/env bash
# Sockets that arrive without accept or connect, as inetd and systemd's
# Accept=yes hand them over: a launcher without attls accepts each
# connection and starts /bin/cat under attls with the connection on its
# fds 0, 1 and 2. attls meets the socket at cat's first read, classifies it
# as an accepted one (inbound), starts TLS as the server, and the three
# numbers share one session: an openssl s_client gets its line back over
# TLS, and a clear-text client gets nothing back in clear.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
make_pki

# tls_echo PORT LINE: what an openssl s_client gets back for LINE. Not
# -quiet (it implies -ign_eof): at the end of its input s_client closes,
# and cat, reading end of file, ends.
tls_echo() {
	(echo "$2"; sleep 1) | timeout 10 openssl s_client -verify_return_error \
		-connect "127.0.0.1:$1" -servername localhost -CAfile "$PKI/ca.pem" 2>/dev/null
}

# 1. An inetd-style launcher (python, no attls): fork, dup2 onto 0, 1, 2, exec.
P=$(free_port)
server_policy "$WORK/p.ini" "$P"
cat >"$WORK/inetd.py" <<'PY'
import os, socket, sys
port, prog = int(sys.argv[1]), sys.argv[2:]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(8)
while True:
    c, _ = s.accept()
    if os.fork() == 0:
        s.close()
        for n in (0, 1, 2):
            os.dup2(c.fileno(), n)
        c.close()
        env = dict(os.environ, LD_PRELOAD=os.environ["CHILD_PRELOAD"])
        os.execve(prog[0], prog, env)
    c.close()
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
PY
# The launcher runs without attls; the program it starts runs under it.
bg env ATTLS_CONFIG="$WORK/p.ini" CHILD_PRELOAD="$LIB" /usr/bin/python3 "$WORK/inetd.py" "$P" \
	/bin/cat
LAUNCHER=$BGPID
wait_port "$P" || exit 1
for i in 1 2; do
	check "inetd-style: /bin/cat under attls echoes over TLS (connection $i)" \
		grep -qx "hello inetd $i" <<<"$(tls_echo "$P" "hello inetd $i")"
done
out=$( (echo "clear line"; sleep 1) | timeout 5 socat - "TCP:127.0.0.1:$P" 2>/dev/null)
check "inetd-style: a clear-text client gets nothing back in clear" \
	bash -c "! grep -q 'clear line' <<<'$out'"
stop "$LAUNCHER"

# 4. The program dups its unseen connection before its first use (dash's
# `echo >&2` saves fd 1 with F_DUPFD, dup2s 2 onto 1, writes, and puts the
# saved fd back): the dup looks at the socket first, so every number names
# one session, and putting fd 1 back ends nothing; the lines after it go
# on in the same session.
P=$(free_port)
server_policy "$WORK/p4.ini" "$P"
bg env ATTLS_CONFIG="$WORK/p4.ini" CHILD_PRELOAD="$LIB" /usr/bin/python3 "$WORK/inetd.py" "$P" \
	/bin/sh -c 'echo first >&2; read l; echo "second $l"; echo third >&2'
LAUNCHER=$BGPID
wait_port "$P" || exit 1
out=$(tls_echo "$P" "hello dup")
say "dup before the first use: $(grep -E '^(first|second|third)' <<<"$out" | tr '\n' ' ')"
check "dup of an unseen socket before its first use: every line arrives in one session" \
	bash -c 'grep -qx first <<<"$1" && grep -qx "second hello dup" <<<"$1" && grep -qx third <<<"$1"' \
	_ "$out"
stop "$LAUNCHER"

# 3. The program adds its unseen connection to epoll before its first read
# (dovecot's imap does): the registration is a TLS one, so what attls holds
# decrypted after a short read makes it readable, and MOD and DEL answer
# as the kernel's would.
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o "$WORK/epoll_unseen" \
	"$(dirname "$0")/c/epoll_unseen.c" || exit 1
P=$(free_port)
server_policy "$WORK/p3.ini" "$P"
bg env ATTLS_CONFIG="$WORK/p3.ini" CHILD_PRELOAD="$LIB" /usr/bin/python3 "$WORK/inetd.py" "$P" \
	"$WORK/epoll_unseen" "$WORK/epoll_unseen.log"
LAUNCHER=$BGPID
wait_port "$P" || exit 1
check "epoll before TLS: the line comes back over TLS" \
	grep -qx "hello epoll" <<<"$(tls_echo "$P" "hello epoll")"
check "epoll before TLS: the registration is the program's (add, wait, a short read, wait, MOD, DEL, then ENOENT)" \
	diff - "$WORK/epoll_unseen.log" <<'EOF_LOG'
add 0 ok
wait 1 data 7
read 4
wait 1 data 7
read 8
mod 0 ok
wait 1 data 8
del 0 ok
del2 -1 No such file or directory
EOF_LOG
stop "$LAUNCHER"

# 2. systemd's own launcher, one instance per connection (Accept=yes).
if command -v systemd-socket-activate >/dev/null; then
	P=$(free_port)
	server_policy "$WORK/p2.ini" "$P"
	bg systemd-socket-activate -l "127.0.0.1:$P" --inetd -a -E "LD_PRELOAD=$LIB" \
		-E "ATTLS_CONFIG=$WORK/p2.ini" /bin/cat 2>"$WORK/ssa.err"
	SSA=$BGPID
	wait_port "$P" || exit 1
	for i in 1 2; do
		check "systemd-socket-activate --inetd -a: cat under attls echoes over TLS ($i)" \
			grep -qx "hello systemd $i" <<<"$(tls_echo "$P" "hello systemd $i")"
	done
	stop "$SSA"
else
	say "systemd-socket-activate is not installed: its case is not checked"
fi
finish

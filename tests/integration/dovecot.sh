#!/usr/bin/env bash
# Dovecot's IMAP server, a private instance (its own base_dir, config and
# port, ssl = no: attls gives the TLS), with LD_PRELOAD and ATTLS_CONFIG
# added to import_environment as the README says: curl logs in over
# implicit TLS (IMAPS) as a passwd-file user and lists INBOX. imap-login
# (chrooted into the login directory, as Dovecot ships it) does the
# handshake and, once the user is logged in, hands the connection to an
# imap process through SCM_RIGHTS: the TLS session must travel with it,
# which the imap process (root) takes up from dovenull only where its
# policy says sessions_from = dovenull.
# Also: with the default import_environment, attls status --uncovered
# names the processes on the covered port.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
command -v dovecot >/dev/null || { echo "dovecot.sh: dovecot is not installed (make deps)"; exit 1; }
make_pki
P=$(free_port)
server_policy "$WORK/p.ini" "$P"
chmod 755 "$WORK"
DV=$WORK/dovecot
mkdir -p "$DV/run" "$DV/state" "$DV/home"
chown nobody:nogroup "$DV/home"
echo "user:{PLAIN}secret::::::" >"$DV/passwd"
# conf [IMPORT]: the instance's dovecot.conf, with IMPORT added to the
# default import_environment.
conf() {
	cat >"$DV/dovecot.conf" <<EOF2
base_dir = $DV/run
state_dir = $DV/state
log_path = $DV/log
protocols = imap
listen = 127.0.0.1
ssl = no
# attls gives the TLS, which Dovecot cannot see
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $DV/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$DV/home/%n
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $P
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
import_environment = TZ CORE_OUTOFMEM CORE_ERROR LISTEN_PID LISTEN_FDS NOTIFY_SOCKET $1
EOF2
}
# start: dovecot in the foreground (-F), attls in its environment.
start() {
	bg env LD_PRELOAD="$LIB" ATTLS_CONFIG="$WORK/p.ini" dovecot -F -c "$DV/dovecot.conf"
	DOVECOT=$BGPID
	wait_port "$P" || { cat "$DV/log"; return 1; }
}
uncovered() {
	"$ATTLS" status --uncovered --config "$WORK/p.ini" 2>/dev/null | grep ":$P "
}

conf ""
start || exit 1
check "dovecot's master has attls (its environment is the one it was started with)" \
	grep -q libattls.so "/proc/$DOVECOT/maps"
# A clear-text client that stays 4 s: imap-login (one per connection, as
# Dovecot ships it) serves it meanwhile.
bg bash -c 'sleep 4 | exec timeout 10 socat -t 1 - TCP:127.0.0.1:"$1" >"$2" 2>/dev/null' \
	x "$P" "$WORK/greeting"
HOLD=$BGPID
for ((i = 0; i < 60; i++)); do
	[ -s "$WORK/greeting" ] && break
	sleep 0.05
done
check "default import_environment: imap-login has no attls, its greeting in clear" \
	grep -q "^\* OK" "$WORK/greeting"
rows=$(uncovered)
echo "$rows"
check "attls status --uncovered names imap-login on the covered port, listening and connected" \
	[ "$(grep -Ec "^[0-9]+ +dovenull +imap-login +127\.0\.0\.1:$P +(\* +listen|127\.0\.0\.1:[0-9]+ +established) +in_$P" <<<"$rows")" = 2 ]
login=$(awk 'NR == 1 {print $1}' <<<"$rows")
check "imap-login ($login) is chrooted into the login directory, as Dovecot ships it" \
	[ -n "$login" ] && [ "$(readlink "/proc/$login/root")" = "$DV/run/login" ]
check "... and not master, which has attls" bash -c '! grep -q "^$1 " <<<"$2"' x "$DOVECOT" "$rows"
wait "$HOLD" # bounded: 4 s of input, then 1 s (timeout 10)
stop "$DOVECOT"

conf "LD_PRELOAD ATTLS_CONFIG"
# imap-login runs as dovenull, imap as root when it receives the
# connection: without sessions_from the session is refused there
# (ATTLS045E), the login fails and nothing goes in clear.
start || exit 1
check "dovecot has attls" grep -q libattls.so "/proc/$DOVECOT/maps"
out=$(timeout 20 curl -sS --cacert "$PKI/ca.pem" --user user:secret "imaps://127.0.0.1:$P/" \
	2>"$WORK/curl.err")
check "without sessions_from: imap refuses the session from dovenull's imap-login (ATTLS045E)" \
	grep -q "ATTLS045E.*sent by pid [0-9]* of uid $(id -u dovenull): only root, uid 0 or a user sessions_from names" "$DV/log"
check "without sessions_from: the login fails ($out)" bash -c '! grep -q INBOX <<<"$1"' x "$out"
stop "$DOVECOT"

sed -i '/^\[global\]$/a sessions_from = dovenull' "$WORK/p.ini"
: >"$DV/log"
start || exit 1
out=$(timeout 20 curl -sS --cacert "$PKI/ca.pem" --user user:secret "imaps://127.0.0.1:$P/" \
	2>"$WORK/curl.err")
check "curl logs in over IMAPS and lists INBOX ($out $(cat "$WORK/curl.err"))" \
	grep -q 'LIST .*"INBOX"\|LIST .* INBOX' <<<"$out"
greeting=$(timeout 10 socat -t 3 - TCP:127.0.0.1:"$P" </dev/null 2>/dev/null | head -c 200)
check "a clear-text client gets nothing in clear" bash -c '! grep -q OK <<<"$1"' x "$greeting"
rows=$(uncovered)
check "attls status --uncovered names nothing on the port ($rows)" [ -z "$rows" ]
stop "$DOVECOT"
grep -iE "error|fatal|panic" "$DV/log" | head -5
finish

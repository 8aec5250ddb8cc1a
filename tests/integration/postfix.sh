#!/usr/bin/env bash
# Postfix as Debian ships it (master.cf's smtpd chrooted into the queue
# directory), a private instance on a free port. master(8) starts its
# daemons with an environment cleaned to import_environment: with the
# default list, smtpd runs without attls, serves its banner in clear, and
# attls status --uncovered names master and smtpd on the covered port.
# With LD_PRELOAD and ATTLS_CONFIG added to import_environment (as the
# README says), curl sends a message over implicit TLS (SMTPS), smtpd
# loads the policy and keys before it chroots, the message lands in a
# mailbox, a clear-text client gets nothing in clear, and attls status
# names nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
command -v postfix >/dev/null || { echo "postfix.sh: postfix is not installed (make deps)"; exit 1; }
make_pki
P=$(free_port)
server_policy "$WORK/p.ini" "$P"
chmod 755 "$WORK"
PF=$WORK/postfix
mkdir -p "$PF/etc" "$PF/vmail" "$PF/queue" "$PF/data"
chown nobody:nogroup "$PF/vmail"
chown postfix "$PF/data"
echo "user@test.example user/" >"$PF/vmailbox"
# Debian's master.cf, smtpd on 127.0.0.1:$P instead of port 25 (chroot y).
sed "s|^smtp      inet  n       -       y |127.0.0.1:$P inet n - y |" /etc/postfix/master.cf \
	>"$PF/etc/master.cf"
check "smtpd is chrooted, as Debian ships it" \
	grep -Eq "^127\.0\.0\.1:$P +inet +n +- +y +- +- +smtpd$" "$PF/etc/master.cf"
# main FILE [IMPORT]: the instance's main.cf, with IMPORT added to the
# default import_environment.
main() {
	cat >"$PF/etc/main.cf" <<EOF2
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
myhostname = mail.test.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no
smtputf8_enable = no
virtual_mailbox_domains = test.example
virtual_mailbox_base = $PF/vmail
virtual_mailbox_maps = texthash:$PF/vmailbox
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ XAUTHORITY DISPLAY LANG=C
	POSTLOG_SERVICE POSTLOG_HOSTNAME $1
EOF2
}
# start: postfix start with attls in its environment; MASTER is its pid.
start() {
	env LD_PRELOAD="$LIB" ATTLS_CONFIG="$WORK/p.ini" postfix -c "$PF/etc" start \
		>>"$WORK/postfix.out" 2>&1 || { cat "$WORK/postfix.out" "$PF/maillog"; return 1; }
	MASTER=$(sed -n '1s/ //gp' "$PF/queue/pid/master.pid")
	PIDS+=("$MASTER")
	wait_port "$P"
}
# stop_master: master by its pid; its daemons end with it.
stop_master() {
	kill "$MASTER"
	timeout 10 tail --pid="$MASTER" -f /dev/null || kill -9 "$MASTER"
}
# uncovered: attls status --uncovered's rows for port $P.
uncovered() {
	"$ATTLS" status --uncovered --config "$WORK/p.ini" 2>/dev/null | grep ":$P "
}

# The environment scrubbed: master and smtpd without attls.
main ""
start || exit 1
banner=$(timeout 10 socat -t 3 - TCP:127.0.0.1:"$P" </dev/null 2>/dev/null | head -c 200)
check "default import_environment: smtpd has no attls, its banner in clear ($banner)" \
	grep -q "^220 mail.test.example" <<<"$banner"
rows=$(uncovered)
echo "$rows"
check "attls status --uncovered names master on the covered port" \
	grep -Eq "^$MASTER +postfix|^$MASTER +root +master +127\.0\.0\.1:$P +\* +listen" <<<"$rows"
check "... and smtpd, a child of master" bash -c 'for p in $(awk "{print \$1}" <<<"$1"); do
	[ "$(awk "{print \$4}" /proc/$p/stat)" = "$2" ] && grep -q " smtpd " <<<"$(grep "^$p " <<<"$1")" && exit 0
	done; exit 1' x "$rows" "$MASTER"
stop_master

# The environment passed through: TLS end to end.
main "LD_PRELOAD ATTLS_CONFIG"
start || exit 1
check "master has attls" grep -q libattls.so "/proc/$MASTER/maps"
printf 'From: sender@test.example\r\nTo: user@test.example\r\nSubject: over attls\r\n\r\nmessage %s\r\n' \
	"$P" >"$WORK/msg"
timeout 20 curl -sS --cacert "$PKI/ca.pem" "smtps://127.0.0.1:$P" --mail-from sender@test.example \
	--mail-rcpt user@test.example -T "$WORK/msg" 2>"$WORK/curl.err"
check "curl sends a message over SMTPS to smtpd under attls" [ $? = 0 ]
smtpd=$(pgrep -P "$MASTER" -x smtpd | head -1)
check "smtpd ($smtpd) is in its chroot, the queue directory, with attls" \
	[ -n "$smtpd" ] && [ "$(readlink "/proc/$smtpd/root")" = "$PF/queue" ] &&
	grep -q libattls.so "/proc/$smtpd/maps"
for ((i = 0; i < 100; i++)); do
	ls "$PF/vmail/user/new/"* >/dev/null 2>&1 && break
	sleep 0.1
done
check "the message is in the mailbox" grep -q "^message $P" "$PF"/vmail/user/new/* 2>/dev/null
banner=$(timeout 10 socat -t 3 - TCP:127.0.0.1:"$P" </dev/null 2>/dev/null | head -c 200)
check "a clear-text client gets nothing in clear" bash -c '! grep -q 220 <<<"$1"' x "$banner"
rows=$(uncovered)
check "attls status --uncovered names nothing on the port ($rows)" [ -z "$rows" ]
stop_master
grep -E "warning|fatal|error" "$PF/maillog" | head -5
finish

#!/usr/bin/env bash
# select() where sets alias: one fd_set passed for write and for except
# (Perl's IO::Socket::IP with a timeout does this). select must count what
# it found as the kernel does, so a Perl HTTP client with a timeout works
# under attls. The same program without attls, against a plain server, is
# the control.
source "$(dirname "$0")/lib.sh"
make_pki
PROG=$WORK/select_alias
gcc -O1 -Wall -Werror -Wno-restrict -o "$PROG" "$TOP/tests/integration/c/select_alias.c" || exit 1
T=$(free_port) PLAIN=$(free_port)
client_policy "$WORK/p.ini" "$T"
bg openssl s_server -accept "$T" -cert "$PKI/server.pem" -key "$PKI/server.key" -www -quiet
mkdir -p "$WORK/www" && echo "plain page" >"$WORK/www/index.html"
(cd "$WORK/www" && exec python3 -m http.server --bind 127.0.0.1 "$PLAIN" >/dev/null 2>&1) &
PIDS+=($!)
wait_port "$T" && wait_port "$PLAIN" || exit 1

native=$(timeout 20 "$PROG" "$PLAIN")
check "without attls: select counts the write bit the except set then clears ($(head -1 <<<"$native"))" \
	grep -q "^select=1 set=0 so_error=0" <<<"$native"
out=$(under "$WORK/p.ini" "$PROG" "$T")
check "under attls: the same count ($(head -1 <<<"$out"))" grep -q "^select=1 set=0 so_error=0" <<<"$out"
check "under attls: the request then goes over TLS" grep -q "^reply=HTTP/1.0 200 ok" <<<"$out"

# Perl's LWP with a timeout: its connect goes through exactly that select.
lwp() {
	timeout 20 perl -MLWP::UserAgent -e '
		my $ua = LWP::UserAgent->new(timeout => 5);
		my $r = $ua->get($ARGV[0]);
		print $r->status_line, "\n", $r->decoded_content;' "$1"
}
out=$(lwp "http://127.0.0.1:$PLAIN/index.html")
check "LWP with a timeout, without attls: $(head -1 <<<"$out")" grep -q "^200 OK" <<<"$out"
out=$(ATTLS_CONFIG="$WORK/p.ini" LD_PRELOAD="$LIB" lwp "http://127.0.0.1:$T/")
check "LWP with a timeout, under attls, over TLS to s_server: $(head -1 <<<"$out")" \
	bash -c "grep -q '^200 ok' <<<\"\$1\" && grep -q 'Ciphers supported in s_server' <<<\"\$1\"" _ "$out"
finish

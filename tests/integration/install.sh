#!/usr/bin/env bash
# make install into a throw-away root (DESTDIR): every file where Debian
# puts it, the man pages render without a warning and attls.ini(5) has
# every key of the README's tables; the demo runs against the installed
# command and library; an /etc/attls/attls.ini that exists is never
# overwritten; make uninstall leaves nothing it installed.
source "$(dirname "$0")/lib.sh"
R=$WORK/root
make -s -C "$TOP" install DESTDIR="$R" >"$WORK/install.log" 2>&1
check "make install DESTDIR=... succeeds" [ $? = 0 ]
for f in usr/local/lib/attls/libattls.so usr/local/bin/attls usr/local/include/attls.h \
	usr/local/lib/pkgconfig/attls.pc usr/local/share/man/man1/attls.1 \
	usr/local/share/man/man5/attls.ini.5 usr/local/share/man/man7/attls.7 \
	etc/attls/attls.ini.example etc/attls/attls.ini usr/local/share/doc/attls/README.md \
	usr/local/lib/tmpfiles.d/attls.conf; do
	check "installed: /$f" [ -f "$R/$f" ]
done
# /run/attls at boot: systemd-tmpfiles finds the file where it is installed,
# and makes the directories as the library makes them (lib/livetab.c).
if command -v systemd-tmpfiles >/dev/null; then
	check "systemd-tmpfiles reads the installed tmpfiles.d/attls.conf" \
		bash -c "systemd-tmpfiles --cat-config --root='$R' 2>/dev/null | grep -qx '# $R/usr/local/lib/tmpfiles.d/attls.conf'"
	systemd-tmpfiles --create --root="$R" - <"$R/usr/local/lib/tmpfiles.d/attls.conf" >"$WORK/tmpfiles.log" 2>&1
	check "it makes /run/attls (0755 root) and /run/attls/live (1777 root)" \
		bash -c "[ \"\$(stat -c '%a %u' '$R/run/attls' '$R/run/attls/live' | xargs)\" = '755 0 1777 0' ]"
	rm -rf "${R:?}/run"
fi
check "pkg-config finds attls.h's directory and the library" bash -c \
	"[ \"\$(PKG_CONFIG_PATH='$R/usr/local/lib/pkgconfig' pkg-config --cflags attls | xargs)\" = -I/usr/local/include ] &&
	 [ \"\$(PKG_CONFIG_PATH='$R/usr/local/lib/pkgconfig' pkg-config --variable=preload attls)\" = /usr/local/lib/attls/libattls.so ]"
"$R/usr/local/bin/attls" --version >"$WORK/version" 2>&1
check "the installed attls --version names attls, wolfSSL and libgcrypt" \
	bash -c "grep -q '^attls ' '$WORK/version' && grep -q '^wolfSSL ' '$WORK/version' && grep -q '^libgcrypt ' '$WORK/version'"
for m in man1/attls.1 man5/attls.ini.5 man7/attls.7; do
	MANWIDTH=80 man --warnings -l "$R/usr/local/share/man/$m" >"$WORK/man.out" 2>"$WORK/man.err"
	check "man -l $m renders, without a warning" bash -c "[ -s '$WORK/man.out' ] && [ ! -s '$WORK/man.err' ]"
done
# Every key of the README's policy tables is in attls.ini(5).
MANWIDTH=200 man -l "$R/usr/local/share/man/man5/attls.ini.5" 2>/dev/null >"$WORK/ini5.txt"
keys=$(sed -n '/^## The policy file/,/^## /p' "$TOP/README.md" |
	awk '/^\| key \| default \| values \|/ { t = 1; next } !/^\|/ { t = 0 } t && /^\| `/' |
	cut -d'`' -f2 | sort -u)
missing=$(for k in $keys; do grep -Eq "^       $k( |,|\$)" "$WORK/ini5.txt" || echo "$k"; done)
check "attls.ini(5) has every key of the README's tables ($(echo $keys | wc -w) keys)${missing:+; missing: $missing}" \
	[ -z "$missing" ]
# Every message id of the README's catalogue is in attls(7).
MANWIDTH=200 man -l "$R/usr/local/share/man/man7/attls.7" 2>/dev/null >"$WORK/man7.txt"
ids=$(sed -n '/^## Tracing and the message catalogue/,/^## /p' "$TOP/README.md" |
	grep -o '^| ATTLS[0-9]*[IWE] |' | tr -d '| ')
missing=$(for id in $ids; do grep -Eq "^       $id \(" "$WORK/man7.txt" || echo "$id"; done)
check "attls(7) has every message of the README's catalogue ($(echo $ids | wc -w) ids)${missing:+; missing: $missing}" \
	bash -c "[ -z '$missing' ] && [ $(echo $ids | wc -w) -gt 30 ]"
check "the installed default policy is the example, and it refuses until written (no descriptor)" \
	bash -c "cmp -s '$TOP/conf/attls.ini.example' '$R/etc/attls/attls.ini' &&
	 ! '$R/usr/local/bin/attls' check --no-keys '$R/etc/attls/attls.ini' 2>&1 | grep -q ': ok:'"

# attls run of the installed command preloads the installed library.
printf '[traffic none]\nenabled = no\n' >"$WORK/off.ini"
"$R/usr/local/bin/attls" run -c "$WORK/off.ini" -- cat /proc/self/maps >"$WORK/maps" 2>&1
check "attls run (installed) preloads the installed library" \
	grep -q "$R/usr/local/lib/attls/libattls.so" "$WORK/maps"

# The demo, with the installed command and library.
ATTLS_BIN="$R/usr/local/bin/attls" timeout 120 "$TOP/examples/broker/demo" >"$WORK/demo.out" 2>&1
rc=$?
check "the demo runs against the installed tree (exit $rc)" \
	bash -c "[ $rc = 0 ] && grep -q 'demo: the request went in over TLS' '$WORK/demo.out'"

# An attls.ini that exists is kept, by install and by uninstall.
R2=$WORK/root2
mkdir -p "$R2/etc/attls"
echo "; mine" >"$R2/etc/attls/attls.ini"
make -s -C "$TOP" install DESTDIR="$R2" >/dev/null 2>&1
check "make install keeps an existing /etc/attls/attls.ini" [ "$(cat "$R2/etc/attls/attls.ini")" = "; mine" ]
make -s -C "$TOP" uninstall DESTDIR="$R2" >/dev/null 2>&1
check "make uninstall keeps it too, and removes the rest" \
	bash -c "[ \"\$(cat '$R2/etc/attls/attls.ini')\" = '; mine' ] && [ \"\$(find '$R2' -type f | wc -l)\" = 1 ]"

make -s -C "$TOP" uninstall DESTDIR="$R" >"$WORK/uninstall.log" 2>&1
left=$(find "$R" -type f)
check "make uninstall leaves no file it installed${left:+: $left}" [ -z "$left" ]
finish

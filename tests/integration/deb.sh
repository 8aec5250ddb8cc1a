#!/usr/bin/env bash
# The Debian package: dpkg-buildpackage -us -uc -b builds
# attls_<version>_<arch>.deb from a copy of the tree, lintian finds no
# error in it, and it holds what make install installs, under /usr. Then
# it is installed with dpkg in a throw-away root: an overlay over this
# machine's / (its packages and dpkg database as they are; every write
# goes to a tmpfs) in a private mount namespace, entered with chroot. There
# the installed attls checks and queries policies, man finds its pages,
# attls run preloads /usr/lib/attls/libattls.so, the demo runs against the
# installed files, and dpkg removes and purges it.
source "$(dirname "$0")/lib.sh"

version=$(head -1 "$TOP/debian/changelog" | tr -d '()' | cut -d' ' -f2)
arch=$(dpkg --print-architecture)
deb="attls_${version}_${arch}.deb"
check "the package's version is the one make builds in" \
	[ "$version" = "$(make --no-print-directory -s -C "$TOP" --eval 'print-version: ; @echo $(VERSION)' print-version)" ]
host_before=$(dpkg -s attls 2>&1 | grep '^Status\|^Version')

# The tree as git knows it, and the wolfSSL make has built already (its
# fetched source left out), with their times: make sees nothing to rebuild
# in wolfSSL, as after a make in the tree itself.
SRC=$WORK/pkg/attls-$version
mkdir -p "$SRC/build"
(cd "$TOP" && git ls-files -co --exclude-standard -z | tar -c --null -T - -f -) | tar -x -C "$SRC" -f -
(cd "$TOP/build" && tar -c --exclude=wolfssl/src -f - wolfssl) | tar -x -C "$SRC/build" -f -
(cd "$SRC" && timeout 900 dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1
rc=$?
check "dpkg-buildpackage -us -uc -b builds $deb (exit $rc)" \
	bash -c "[ $rc = 0 ] && [ -f '$WORK/pkg/$deb' ]"
[ -f "$WORK/pkg/$deb" ] || { tail -30 "$WORK/build.log"; finish; }

lintian --fail-on error "$WORK/pkg/attls_${version}_${arch}.changes" >"$WORK/lintian.log" 2>&1
rc=$?
sed 's/^/    /' "$WORK/lintian.log" | grep -v 'root privileges'
check "lintian finds no error in the package (exit $rc)" [ $rc = 0 ]

dpkg-deb -c "$WORK/pkg/$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$WORK/files"
for f in /usr/lib/attls/libattls.so /usr/bin/attls /usr/include/attls.h \
	"/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/pkgconfig/attls.pc" \
	/usr/share/man/man1/attls.1.gz /usr/share/man/man5/attls.ini.5.gz \
	/usr/share/man/man7/attls.7.gz /etc/attls/attls.ini.example /etc/attls/attls.ini \
	/usr/share/doc/attls/examples/systemd/redis-server.service.d/attls.conf \
	/usr/share/doc/attls/examples/systemd/attls-broker.service /usr/share/doc/attls/copyright \
	/usr/share/doc/attls/README.md /usr/share/doc/attls/examples/broker.ini \
	/usr/lib/tmpfiles.d/attls.conf; do
	check "the package holds $f" grep -qx -- "$f" "$WORK/files"
done
dpkg-deb -e "$WORK/pkg/$deb" "$WORK/control"
check "/etc/attls/attls.ini and the example are conffiles: dpkg keeps an administrator's edits" \
	bash -c "grep -qx /etc/attls/attls.ini '$WORK/control/conffiles' &&
	 grep -qx /etc/attls/attls.ini.example '$WORK/control/conffiles'"
check "its postinst makes /run/attls now (systemd-tmpfiles), as the boot will" \
	grep -q 'systemd-tmpfiles .*--create attls.conf' "$WORK/control/postinst"
check "Built-Using names the wolfssl revision linked in" \
	bash -c "dpkg-deb -f '$WORK/pkg/$deb' Built-Using | grep -qx 'wolfssl (= $(cat "$TOP/build/wolfssl/VERSION"))'"
dpkg-deb -x "$WORK/pkg/$deb" "$WORK/x"
check "the packaged systemd drop-in preloads the packaged library" \
	grep -qx 'Environment=LD_PRELOAD=/usr/lib/attls/libattls.so' \
	"$WORK/x/usr/share/doc/attls/examples/systemd/redis-server.service.d/attls.conf"
check "the packaged drop-in checks with the packaged command and lets the unit run both" \
	bash -c "grep -qx 'ExecStartPre=/usr/bin/attls check --preloaded /etc/attls/redis.ini' '$WORK/x/usr/share/doc/attls/examples/systemd/redis-server.service.d/attls.conf' &&
	 grep -qx 'ExecPaths=-/usr/bin/attls -/usr/lib/attls/libattls.so' '$WORK/x/usr/share/doc/attls/examples/systemd/redis-server.service.d/attls.conf'"
check "the packaged tmpfiles.d file makes /run/attls and /run/attls/live" \
	bash -c "grep -qx 'd /run/attls 0755 root root -' '$WORK/x/usr/lib/tmpfiles.d/attls.conf' &&
	 grep -qx 'd /run/attls/live 1777 root root -' '$WORK/x/usr/lib/tmpfiles.d/attls.conf'"

# In the throw-away root. The script below runs there, as root, with this
# tree at its own path (read-only) and the package in /pkg.
cat >"$WORK/inside.sh" <<EOF
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
say() { echo "INSIDE \$*"; }
if dpkg -s attls >/dev/null 2>&1; then say "preinstalled"; fi
# This host's own /etc/attls (make install's, an administrator's keys) is
# not the package's: the throw-away root starts without it.
rm -rf /etc/attls
dpkg -i /pkg/$deb >/tmp/dpkg.log 2>&1 && say "installed" || cat /tmp/dpkg.log
dpkg -s attls 2>/dev/null | grep -qx 'Status: install ok installed' && say "status-installed"
[ "\$(stat -c '%a %u' /run/attls /run/attls/live 2>/dev/null | xargs)" = '755 0 1777 0' ] && say "tmpfiles"
attls --version | head -1 | grep -qx "attls $version" && say "version"
attls check --no-keys "$TOP/conf/broker.ini" >/tmp/check.out 2>&1 && say "check-no-keys"
attls query "$TOP/conf/broker.ini" --direction inbound --local-port 7800 --jobname WI02BRK \
	2>&1 | grep -q WI02BRK && say "query"
attls check /etc/attls/attls.ini >/tmp/check2.out 2>&1 || say "shipped-policy-refuses"
man -w attls | grep -qx /usr/share/man/man1/attls.1.gz && say "man1"
man -w 5 attls.ini | grep -qx /usr/share/man/man5/attls.ini.5.gz && say "man5"
MANWIDTH=80 man --warnings 7 attls 2>/tmp/man.err | grep -q . && [ ! -s /tmp/man.err ] && say "man7"
pkg-config --variable=preload attls | grep -qx /usr/lib/attls/libattls.so && say "pkgconfig"
printf '[traffic none]\nenabled = no\n' >/tmp/off.ini
attls run -c /tmp/off.ini -- cat /proc/self/maps | grep -q ' /usr/lib/attls/libattls.so\$' && say "run-preloads"
ATTLS_BIN=/usr/bin/attls timeout 120 "$TOP/examples/broker/demo" >/tmp/demo.out 2>&1 &&
	grep -q 'demo: the request went in over TLS' /tmp/demo.out && say "demo" || tail -20 /tmp/demo.out
# /run here is the overlay's (as in a container): attls status lists a
# process under attls, and lists it again (it took the table for its own).
attls run -c /tmp/off.ini -j OVERLAYJOB -- sleep 30 &
runpid=\$!
for i in \$(seq 50); do ls /run/attls/live/*.tab >/dev/null 2>&1 && break; sleep 0.1; done
attls status >/tmp/status1 2>&1; attls status >/tmp/status2 2>&1
grep -q OVERLAYJOB /tmp/status1 && grep -q OVERLAYJOB /tmp/status2 && say "status-overlay" ||
	{ cat /tmp/status1 /tmp/status2; ls -l /run/attls/live; }
kill \$runpid; wait \$runpid 2>/dev/null
echo '; edited' >>/etc/attls/attls.ini
dpkg -r attls >/dev/null 2>&1 && [ ! -e /usr/bin/attls ] && [ ! -e /usr/lib/attls/libattls.so ] &&
	grep -q '; edited' /etc/attls/attls.ini && say "removed-keeps-conffile"
dpkg -P attls >/dev/null 2>&1 && [ ! -e /etc/attls ] && say "purged"
EOF
ROOT=$WORK/ovl
mkdir -p "$ROOT"
# The namespace ends with the command: its mounts, and every write made in
# the root, go with it.
timeout 300 unshare -m --propagation private bash -c '
	set -e
	R=$1 TOP=$2 PKG=$3 SCRIPT=$4
	mount -t tmpfs tmpfs "$R"
	mkdir -p "$R/u" "$R/w" "$R/m"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$R/u,workdir=$R/w" "$R/m"
	for d in proc sys dev; do mount --rbind "/$d" "$R/m/$d"; done
	mount -t tmpfs tmpfs "$R/m/tmp"
	rm -rf "$R/m/run/attls"
	mkdir -p "$R/m$TOP" "$R/m/pkg"
	mount --bind "$TOP" "$R/m$TOP" && mount -o remount,bind,ro "$R/m$TOP"
	mount --bind "$PKG" "$R/m/pkg"
	cp "$SCRIPT" "$R/m/tmp/inside.sh"
	chroot "$R/m" bash /tmp/inside.sh
' _ "$ROOT" "$TOP" "$WORK/pkg" "$WORK/inside.sh" >"$WORK/inside.log" 2>&1
grep -v '^INSIDE ' "$WORK/inside.log" | sed 's/^/    /' | head -40
said() { grep -qx "INSIDE $1" "$WORK/inside.log"; }
check "the throw-away root did not hold attls before" bash -c "! grep -qx 'INSIDE preinstalled' '$WORK/inside.log'"
check "dpkg -i installs the package in a throw-away root (its dependencies met)" said installed
check "dpkg -s: install ok installed" said status-installed
check "dpkg -i made /run/attls and /run/attls/live (the postinst's systemd-tmpfiles)" said tmpfiles
check "the installed attls --version says $version" said version
check "the installed attls check --no-keys checks conf/broker.ini, no key present" said check-no-keys
check "the installed attls query answers for conf/broker.ini" said query
check "the installed default policy (no descriptor) does not pass attls check" said shipped-policy-refuses
check "man attls finds attls(1)" said man1
check "man 5 attls.ini finds attls.ini(5)" said man5
check "man 7 attls renders without a warning" said man7
check "pkg-config --variable=preload attls is /usr/lib/attls/libattls.so" said pkgconfig
check "attls run preloads /usr/lib/attls/libattls.so" said run-preloads
check "the demo runs against the installed command and library" said demo
check "attls status lists a process whose table is on overlayfs, and lists it again" said status-overlay
check "dpkg -r removes the command and library and keeps the edited attls.ini" said removed-keeps-conffile
check "dpkg -P removes /etc/attls" said purged
check "nothing of the throw-away root reached this machine (dpkg -s attls as before)" \
	[ "$(dpkg -s attls 2>&1 | grep '^Status\|^Version')" = "$host_before" ]
finish

#!/usr/bin/env bash
# Files earn trust: the policy and every file it names must be owned by
# root or the user, not writable by group or others (secrets not readable
# by them either), named by absolute paths; a refused policy refuses
# connections. attls check --no-keys reads no key and loads no module.
# /etc/ssl/certs works as a CA directory.
source "$(dirname "$0")/lib.sh"
make_pki
MODULE=$(find /usr/lib -name libsofthsm2.so -path '*softhsm*' 2>/dev/null | head -1)
[ -n "$MODULE" ] || { echo "SoftHSM2 is not installed"; exit 1; }
S=$(free_port)
bg openssl s_server -accept "$S" -cert "$PKI/server.pem" -key "$PKI/server.key" -www -quiet
wait_port "$S" || exit 1

# chk POLICY [--no-keys]: attls check's output and exit code.
chk() {
	local pol=$1
	shift
	"$ATTLS" check "$@" "$pol" 2>&1
	echo "exit=$?"
}
has() { grep -q -- "$2" <<<"$1"; }

# An outbound rule to the TLS server on $S.
client_policy() { # FILE CA
	policy "$1" <<EOF2
[global]
trace = error-stderr, error
[keyring k]
cert = @PKI@/client.pem
key = @PKI@/client.key
ca = $2
[traffic out]
direction = outbound
remote_port = $S
server_name = localhost
keyring = k
EOF2
}

# --- The policy itself.
client_policy "$WORK/p.ini" "$PKI/ca.pem"
out=$(under "$WORK/p.ini" curl -sS "http://127.0.0.1:$S/" 2>&1)
check "control: under a 0644 policy the connection is TLS and verified" has "$out" "Ciphers supported"
chmod 666 "$WORK/p.ini"
out=$(chk "$WORK/p.ini")
check "attls check refuses a world-writable policy" has "$out" "p.ini has mode 0666: it must not be writable by group or others"
check "... and exits 1" has "$out" "exit=1"
under "$WORK/p.ini" curl -sS "http://127.0.0.1:$S/" >"$WORK/out" 2>"$WORK/err"
rc=$?
check "a connect under a world-writable policy is refused (curl exit $rc)" [ $rc -ne 0 ]
check "... and nothing came back" [ ! -s "$WORK/out" ]
check "... stderr says connections are refused" grep -q "ATTLS003E no policy in force" "$WORK/err"
check "... and why" grep -q "p.ini has mode 0666" "$WORK/err"
chmod 664 "$WORK/p.ini"
check "attls check refuses a group-writable policy" has "$(chk "$WORK/p.ini")" "has mode 0664"
chmod 644 "$WORK/p.ini"
chown nobody "$WORK/p.ini"
check "attls check refuses a policy owned by another user" has "$(chk "$WORK/p.ini")" "p.ini is owned by uid $(id -u nobody)"
chown root "$WORK/p.ini"

# --- CA directories and files, keys.
mkdir "$WORK/cadir"
cp "$PKI/ca.pem" "$WORK/cadir/"
client_policy "$WORK/dir.ini" "$WORK/cadir"
chmod 755 "$WORK/cadir"
check "control: a CA directory of mode 0755 passes" has "$(chk "$WORK/dir.ini")" "exit=0"
chmod 775 "$WORK/cadir"
out=$(chk "$WORK/dir.ini")
check "a group-writable CA directory is refused: $(head -1 <<<"$out")" \
	has "$out" "dir.ini:6: ca: $WORK/cadir has mode 0775: it must not be writable"
chmod 755 "$WORK/cadir"
cp "$PKI/ca.pem" "$WORK/ca-nobody.pem"
chown nobody "$WORK/ca-nobody.pem"
client_policy "$WORK/canobody.ini" "$WORK/ca-nobody.pem"
check "a CA file owned by another user is refused" \
	has "$(chk "$WORK/canobody.ini")" "canobody.ini:6: ca: $WORK/ca-nobody.pem is owned by uid"
cp "$PKI/client.key" "$WORK/key-nobody.key"
chmod 600 "$WORK/key-nobody.key"
chown nobody "$WORK/key-nobody.key"
sed "s|key = .*|key = $WORK/key-nobody.key|" "$WORK/p.ini" >"$WORK/keynobody.ini"
check "a 0600 key owned by another user is refused" \
	has "$(chk "$WORK/keynobody.ini")" "keynobody.ini:5: key: $WORK/key-nobody.key is owned by uid"

# --- Relative paths, from a directory where they would resolve.
printf '[keyring k]\ncert = client.pem\nkey = client.key\nca = ca.pem\n' >"$WORK/rel.ini"
out=$(cd "$PKI" && chk "$WORK/rel.ini")
check "a relative cert is refused with its line" has "$out" "rel.ini:2: cert: \"client.pem\" is not an absolute path"
check "a relative key is refused with its line" has "$out" "rel.ini:3: key: \"client.key\" is not an absolute path"
check "a relative ca is refused with its line" has "$out" "rel.ini:4: ca: \"ca.pem\" is not an absolute path"
printf '[global]\nticket_key_file = tk\n[crypto]\nmodule_path = lib.so\npin_source = file:pin\n' \
	>"$WORK/rel2.ini"
out=$(cd "$WORK" && chk "$WORK/rel2.ini")
check "relative ticket_key_file, module_path and pin_source are refused" \
	bash -c 'grep -q "rel2.ini:2: ticket_key_file: \"tk\" is not an absolute" <<<"$1" &&
		grep -q "rel2.ini:4: module_path: \"lib.so\" is not an absolute" <<<"$1" &&
		grep -q "rel2.ini:5: pin_source: not an absolute path (its value is not shown" <<<"$1"' _ "$out"
ATTLS_CONFIG_REL=$(basename "$WORK")/p.ini
out=$(cd "$(dirname "$WORK")" && ATTLS_CONFIG=$ATTLS_CONFIG_REL LD_PRELOAD=$LIB \
	timeout 30 curl -sS "http://127.0.0.1:$S/" 2>&1)
check "a relative ATTLS_CONFIG refuses connections" has "$out" "cannot open policy: the path must be absolute"

# --- PKCS#11 modules and PIN files.
mkdir -p "$WORK/tokens" "$WORK/mod"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$WORK/tokens" >"$WORK/softhsm2.conf"
export SOFTHSM2_CONF=$WORK/softhsm2.conf
softhsm2-util --init-token --free --label attls --pin 1234 --so-pin 4321 >/dev/null || exit 1
openssl pkcs8 -topk8 -nocrypt -in "$PKI/server.key" -out "$WORK/import.p8" &&
	softhsm2-util --import "$WORK/import.p8" --token attls --label ecdsa --id 01 --pin 1234 >/dev/null
rm -f "$WORK/import.p8"
echo 1234 >"$WORK/pin"
chmod 600 "$WORK/pin"
cp "$MODULE" "$WORK/mod/libsofthsm2.so"
p11_policy() { # FILE MODULE PIN
	printf '[crypto]\nmodule_path = %s\npin_source = file:%s\n[keyring k]\ncert = %s\nkey = %s\n%b' \
		"$2" "$3" "$PKI/server.pem" "pkcs11:token=attls;object=ecdsa" \
		'[traffic t]\nlocal_port = 1\nenabled = no\n' >"$1"
}
p11_policy "$WORK/mod.ini" "$WORK/mod/libsofthsm2.so" "$WORK/pin"
chmod 755 "$WORK/mod/libsofthsm2.so"
check "control: a copy of the module of mode 0755 loads and signs" has "$(chk "$WORK/mod.ini")" "exit=0"
chmod 775 "$WORK/mod/libsofthsm2.so"
out=$(chk "$WORK/mod.ini")
check "a group-writable PKCS#11 module is refused: $(head -1 <<<"$out")" \
	has "$out" "mod.ini:2: module_path: $WORK/mod/libsofthsm2.so has mode 0775"
chmod 755 "$WORK/mod/libsofthsm2.so"
chmod 640 "$WORK/pin"
check "a PIN file readable by the group is refused" \
	has "$(chk "$WORK/mod.ini")" "mod.ini:3: pin_source: $WORK/pin has mode 0640: a secret"
chmod 600 "$WORK/pin"

# --- attls check --no-keys.
check "--no-keys is in the usage" bash -c '"$1" --help | grep -q -- "check \[--no-keys\] \[--strict\] \[--user USER\] \[--preloaded\] FILE"' _ "$ATTLS"
sed -e "s|$PKI/client.pem|$WORK/absent/client.pem|" -e "s|$PKI/client.key|$WORK/absent/client.key|" \
	-e "s|$PKI/ca.pem|$WORK/absent/ca.pem|" "$WORK/p.ini" >"$WORK/absent.ini"
check "control: plain check fails on absent key files" has "$(chk "$WORK/absent.ini")" "No such file"
out=$(chk "$WORK/absent.ini" --no-keys)
check "--no-keys passes on a policy whose key files do not exist" has "$out" "exit=0"
check "... and says that keys were not checked" has "$out" "keys not checked (--no-keys)"
chmod 666 "$WORK/absent.ini"
check "--no-keys still refuses a world-writable policy" has "$(chk "$WORK/absent.ini" --no-keys)" "has mode 0666"
chmod 644 "$WORK/absent.ini"
# A trusted file that is a library: its constructor leaves a mark when loaded.
cat >"$WORK/mark.c" <<'EOF2'
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((constructor)) static void mark(void)
{
	const char *m = getenv("ATTLS_TEST_MARK");
	int fd = m ? open(m, O_WRONLY | O_CREAT, 0600) : -1;

	if (fd >= 0)
		close(fd);
}
EOF2
gcc -shared -fPIC -o "$WORK/mod/mark.so" "$WORK/mark.c" || exit 1
p11_policy "$WORK/mark.ini" "$WORK/mod/mark.so" "$WORK/pin"
out=$(ATTLS_TEST_MARK=$WORK/mark1 chk "$WORK/mark.ini")
check "control: plain check loads the module a policy names (and fails, it is no PKCS#11 module)" \
	bash -c '[ -e "$1" ] && grep -q exit=1 <<<"$2"' _ "$WORK/mark1" "$out"
out=$(ATTLS_TEST_MARK=$WORK/mark2 chk "$WORK/mark.ini" --no-keys)
check "--no-keys loads no module and passes" bash -c '[ ! -e "$1" ] && grep -q exit=0 <<<"$2"' \
	_ "$WORK/mark2" "$out"

# --- /etc/ssl/certs and a directory built like it.
if [ -d /etc/ssl/certs ]; then
	client_policy "$WORK/sys.ini" /etc/ssl/certs
	check "/etc/ssl/certs passes attls check as a CA directory" has "$(chk "$WORK/sys.ini")" "exit=0"
	out=$(under "$WORK/sys.ini" curl -sS "http://127.0.0.1:$S/" 2>&1)
	check "... and a server its CAs did not sign is refused" \
		bash -c '! grep -q "Ciphers supported" <<<"$1" && grep -q "ATTLS" <<<"$1"' _ "$out"
fi
# Symbolic links (hash and name), a README, a subdirectory, a dangling link.
mkdir -p "$WORK/share" "$WORK/certs/java"
cp "$PKI/ca.pem" "$WORK/share/attls_test_CA.crt"
cp "$PKI/otherca.pem" "$WORK/share/other.crt"
ln -s "$WORK/share/attls_test_CA.crt" "$WORK/certs/attls_test_CA.pem"
ln -s attls_test_CA.pem "$WORK/certs/$(openssl x509 -hash -noout -in "$PKI/ca.pem").0"
ln -s "$WORK/share/other.crt" "$WORK/certs/other.pem"
ln -s "$WORK/share/gone.crt" "$WORK/certs/gone.pem"
echo "not a certificate" >"$WORK/certs/README"
client_policy "$WORK/like.ini" "$WORK/certs"
out=$(under "$WORK/like.ini" curl -sS "http://127.0.0.1:$S/" 2>&1)
check "a CA directory of links, a README, a subdirectory and a dangling link verifies the server" \
	has "$out" "Ciphers supported"
chmod 664 "$WORK/share/other.crt"
out=$(chk "$WORK/like.ini")
check "an entry of a CA directory writable by the group is refused, by name" \
	has "$out" "like.ini:6: ca: $WORK/certs/other.pem has mode 0664"
finish

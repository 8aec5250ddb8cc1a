# A throw-away CA run with `openssl ca` (sourced by crl.sh and ocsp.sh):
# make_revoke_pki DIR OCSP_PORT makes in DIR ca.pem, ca.key and the leaves
# good (server, localhost), bad (server, revoked), client (good), rclient
# (revoked), each with an AIA naming the OCSP responder on 127.0.0.1:OCSP_PORT,
# and crl.pem (current), crl.der (the same, DER).
make_revoke_pki() {
	local d=$1 port=$2
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		mkdir -p newcerts
		: >index.txt
		echo 1000 >serial
		echo 1000 >crlnumber
		cat >ca.cnf <<EOF3
[ca]
default_ca = test_ca
[test_ca]
dir = $d
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 2
default_crl_days = 1
policy = any
copy_extensions = copy
unique_subject = no
[any]
organizationName = optional
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$port/
[crl_ext]
authorityKeyIdentifier = keyid:always
EOF3
		openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null && chmod 600 ca.key
		openssl req -x509 -new -key ca.key -subj "/O=attls test/CN=revoke test CA" -days 2 \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature -out ca.pem 2>/dev/null
		leaf() { # NAME CN SAN
			openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null
			chmod 600 "$1.key"
			openssl req -new -key "$1.key" -subj "/O=attls test/CN=$2" -addext "subjectAltName=$3" \
				-out "$1.csr" 2>/dev/null
			openssl ca -batch -config ca.cnf -extensions leaf -in "$1.csr" -out "$1.pem" \
				>/dev/null 2>&1
		}
		leaf good localhost "DNS:localhost,IP:127.0.0.1"
		leaf bad localhost "DNS:localhost,IP:127.0.0.1"
		leaf client "test client" "DNS:client.test"
		leaf rclient "revoked client" "DNS:rclient.test"
		openssl ca -batch -config ca.cnf -revoke bad.pem >/dev/null 2>&1
		openssl ca -batch -config ca.cnf -revoke rclient.pem >/dev/null 2>&1
		openssl ca -batch -config ca.cnf -gencrl -crlexts crl_ext -out crl.pem >/dev/null 2>&1
		openssl crl -in crl.pem -outform DER -out crl.der
	) || return 1
	[ -s "$d/crl.der" ] && [ -s "$d/good.pem" ] && [ -s "$d/rclient.pem" ]
}

# An expired CRL of DIR's CA in FILE: valid for one second, then waited out.
make_expired_crl() {
	openssl ca -batch -config "$1/ca.cnf" -gencrl -crlexts crl_ext -crlsec 1 -out "$2" \
		>/dev/null 2>&1 && sleep 2
}

#!/usr/bin/env python3
"""Certificates a TLS peer must refuse (or, for the chain, may accept), each
for localhost and 127.0.0.1 unless its fault is the name.

hostile_pki.py DIR CA_CERT CA_KEY: writes into DIR, each NAME.pem (leaf
first, then the intermediates the peer sends) and NAME.key:
  notyet       valid from tomorrow
  selfsigned   signed by its own key
  noserverauth extendedKeyUsage clientAuth only (serverAuth missing)
  nodigsig     keyUsage keyEncipherment only (digitalSignature missing),
               extendedKeyUsage serverAuth and clientAuth
  noclientauth extendedKeyUsage serverAuth only, for a client certificate
  chainN       for N in 3, 10 and 11: a chain of N certificates from the CA:
               the CA, N - 2 intermediates, the leaf (the file holds the
               leaf and the intermediates)
"""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

out, ca_pem, ca_key_pem = sys.argv[1:4]
ca = x509.load_pem_x509_certificate(open(ca_pem, "rb").read())
ca_key = serialization.load_pem_private_key(open(ca_key_pem, "rb").read(), None)
now = datetime.datetime.now(datetime.timezone.utc)
hour, day = datetime.timedelta(hours=1), datetime.timedelta(days=1)
SAN = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                   x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))])


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "attls test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def ku(digital_signature=True, key_encipherment=False, cert_sign=False):
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=False,
                         key_encipherment=key_encipherment, data_encipherment=False,
                         key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
                         encipher_only=False, decipher_only=False)


def make(cn, issuer, issuer_key, key=None, start=None, eku=None, usage=None, ca_path=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    b = (x509.CertificateBuilder().subject_name(name(cn))
         .issuer_name(issuer.subject if issuer else name(cn))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(start or now - hour).not_valid_after((start or now) + 2 * day))
    if ca_path is not None:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=ca_path), critical=True)
        b = b.add_extension(ku(cert_sign=True), critical=True)
    else:
        b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        b = b.add_extension(SAN, critical=False)
        if usage is not None:
            b = b.add_extension(usage, critical=True)
        if eku is not None:
            b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    return b.sign(issuer_key or key, hashes.SHA256()), key


def write(stem, certs, key):
    with open(os.path.join(out, stem + ".pem"), "wb") as f:
        for c in certs:
            f.write(c.public_bytes(serialization.Encoding.PEM))
    path = os.path.join(out, stem + ".key")
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    os.chmod(path, 0o600)


SERVER, CLIENT = ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH
c, k = make("localhost", ca, ca_key, start=now + day)
write("notyet", [c], k)
c, k = make("localhost", None, None)
write("selfsigned", [c], k)
c, k = make("localhost", ca, ca_key, eku=[CLIENT])
write("noserverauth", [c], k)
c, k = make("localhost", ca, ca_key, eku=[SERVER, CLIENT],
            usage=ku(digital_signature=False, key_encipherment=True))
write("nodigsig", [c], k)
c, k = make("test client", ca, ca_key, eku=[SERVER])
write("noclientauth", [c], k)
for n in (3, 10, 11):
    issuer, issuer_key, chain = ca, ca_key, []
    for i in range(n - 2):
        inter, ikey = make(f"intermediate {i + 1} of chain{n}", issuer, issuer_key,
                           ca_path=n - 3 - i)
        chain.insert(0, inter)
        issuer, issuer_key = inter, ikey
    leaf, k = make("localhost", issuer, issuer_key)
    write(f"chain{n}", [leaf] + chain, k)

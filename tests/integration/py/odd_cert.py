#!/usr/bin/env python3
"""A certificate whose subject a log line must not trust: its CN holds a
quote that would close a log field and start new ones, a NUL that would
cut it short, and an escape sequence.

odd_cert.py CA_CERT CA_KEY OUT_CERT OUT_KEY SAN_DNS"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ca_pem, ca_key_pem, out_cert, out_key, dns = sys.argv[1:6]
ca = x509.load_pem_x509_certificate(open(ca_pem, "rb").read())
ca_key = serialization.load_pem_private_key(open(ca_key_pem, "rb").read(), None)
key = ec.generate_private_key(ec.SECP256R1())
cn = 'good.client\x00.evil" rule=admin job=ROOT \x1b[2J'
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "attls test"),
                                 x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
        .sign(ca_key, hashes.SHA256()))
open(out_cert, "wb").write(cert.public_bytes(serialization.Encoding.PEM))
open(out_key, "wb").write(key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))

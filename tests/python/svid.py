"""Test credentials made with PyJWT and cryptography, independently of Warden.

Usage:
  svid.py bundle DIR KID:ALG [KID:ALG ...]
      Creates a private key per KID (ES256, ES384, RS256, PS256, ...) in DIR
      unless it exists, and writes DIR/bundle.jwks holding the public keys of
      exactly the KIDs named, as a SPIFFE JWT bundle.
  svid.py jwt DIR KID SUB AUD [--alg ALG] [--exp S] [--nbf S] [--iat S]
                                [--sign-with KID2]
      Prints a JWT-SVID signed by KID's key. Times are seconds from now
      (negative for the past); --exp defaults to 300. --alg overrides the
      header's algorithm: "none" and "HS256" make tokens Warden must refuse.
      --sign-with signs with KID2's key while the header still names KID.
  svid.py pki DIR
      Writes a test CA, a server certificate for 127.0.0.1 and localhost, and
      client certificates: agent (one SPIFFE URI SAN), nouri (none), twouri
      (two), and foreign (one SAN, issued by another CA), all as PEM files.
"""

import base64
import datetime
import hashlib
import hmac
import ipaddress
import json
import os
import sys
import time

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key(alg: str):
    if alg.startswith("ES"):
        curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1()}[alg]
        return ec.generate_private_key(curve)
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def load_or_create(directory: str, kid: str, alg: str):
    path = os.path.join(directory, f"{kid}.pem")
    if os.path.exists(path):
        with open(path, "rb") as file:
            return serialization.load_pem_private_key(file.read(), password=None)
    key = new_key(alg)
    with open(path, "wb") as file:
        file.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    with open(os.path.join(directory, f"{kid}.alg"), "w") as file:
        file.write(alg)
    return key


def public_jwk(kid: str, key) -> dict:
    public = key.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        numbers = public.public_numbers()
        size = (public.curve.key_size + 7) // 8
        crv = {256: "P-256", 384: "P-384"}[public.curve.key_size]
        return {
            "kty": "EC",
            "crv": crv,
            "x": b64url(numbers.x.to_bytes(size, "big")),
            "y": b64url(numbers.y.to_bytes(size, "big")),
            "kid": kid,
            "use": "jwt-svid",
        }
    numbers = public.public_numbers()
    return {
        "kty": "RSA",
        "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url(numbers.e.to_bytes(3, "big")),
        "kid": kid,
        "use": "jwt-svid",
    }


def bundle(directory: str, specs: list) -> None:
    os.makedirs(directory, exist_ok=True)
    keys = []
    for spec in specs:
        kid, alg = spec.split(":")
        keys.append(public_jwk(kid, load_or_create(directory, kid, alg)))
    path = os.path.join(directory, "bundle.jwks")
    with open(path + ".tmp", "w") as file:
        json.dump({"keys": keys, "spiffe_refresh_hint": 60}, file)
    os.replace(path + ".tmp", path)


def mint(directory: str, kid: str, sub: str, aud: str, options: list) -> str:
    flags = dict(zip(options[::2], options[1::2]))
    now = int(time.time())
    claims = {"sub": sub, "aud": aud, "exp": now + int(flags.get("--exp", 300))}
    for name in ("nbf", "iat"):
        if f"--{name}" in flags:
            claims[name] = now + int(flags[f"--{name}"])
    signer = flags.get("--sign-with", kid)
    with open(os.path.join(directory, f"{signer}.alg")) as file:
        key_alg = file.read().strip()
    alg = flags.get("--alg", key_alg)

    if alg == "none":
        header = b64url(json.dumps({"alg": "none", "kid": kid, "typ": "JWT"}).encode())
        return f"{header}.{b64url(json.dumps(claims).encode())}."
    if alg.startswith("HS"):
        header = b64url(json.dumps({"alg": alg, "kid": kid, "typ": "JWT"}).encode())
        body = b64url(json.dumps(claims).encode())
        mac = hmac.new(b"guessable", f"{header}.{body}".encode(), hashlib.sha256).digest()
        return f"{header}.{body}.{b64url(mac)}"
    with open(os.path.join(directory, f"{signer}.pem"), "rb") as file:
        key = serialization.load_pem_private_key(file.read(), password=None)
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


def write_pem(path: str, *objects) -> None:
    with open(path, "wb") as file:
        for item in objects:
            if isinstance(item, x509.Certificate):
                file.write(item.public_bytes(serialization.Encoding.PEM))
            else:
                file.write(
                    item.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                )


def certificate(subject: str, key, issuer_name, issuer_key, ca: bool, sans: list, usage):
    now = datetime.datetime.now(datetime.timezone.utc)
    own_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(own_name)
        .issuer_name(issuer_name or own_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
    return builder.sign(issuer_key or key, hashes.SHA256())


def pki(directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    cas = {}
    for name in ("ca", "foreign-ca"):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = certificate(f"test {name}", key, None, None, True, [], None)
        cas[name] = (cert, key)
        write_pem(os.path.join(directory, f"{name}.pem"), cert)

    ca_cert, ca_key = cas["ca"]
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = certificate(
        "warden test server",
        server_key,
        ca_cert.subject,
        ca_key,
        False,
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
        ExtendedKeyUsageOID.SERVER_AUTH,
    )
    write_pem(os.path.join(directory, "server.pem"), server)
    write_pem(os.path.join(directory, "server-key.pem"), server_key)

    agent = x509.UniformResourceIdentifier("spiffe://example.org/agent/mtls")
    other = x509.UniformResourceIdentifier("spiffe://example.org/agent/other")
    clients = {
        "agent": ("ca", [agent]),
        "nouri": ("ca", [x509.DNSName("agent.example.org")]),
        "twouri": ("ca", [agent, other]),
        "foreign": ("foreign-ca", [agent]),
    }
    for name, (issuer, sans) in clients.items():
        issuer_cert, issuer_key = cas[issuer]
        key = ec.generate_private_key(ec.SECP256R1())
        cert = certificate(
            f"client {name}", key, issuer_cert.subject, issuer_key, False, sans,
            ExtendedKeyUsageOID.CLIENT_AUTH,
        )
        write_pem(os.path.join(directory, f"{name}.pem"), cert, key)


def main(argv: list) -> None:
    command = argv[1]
    if command == "bundle":
        bundle(argv[2], argv[3:])
    elif command == "jwt":
        print(mint(argv[2], argv[3], argv[4], argv[5], argv[6:]))
    elif command == "pki":
        pki(argv[2])
    else:
        sys.exit(f"unknown command {command}: see the docstring")


if __name__ == "__main__":
    main(sys.argv)

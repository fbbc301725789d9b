"""Helpers for the issue 9 tests (authentication, authorization, TLS, Origin): Autobahn|Python
sessions that authenticate with ticket, wampcra (salted too) or cryptosign, the example configs'
credentials, a test CA, and the per-implementation expectations (ROUTER_IMPL=ours|crossbar)."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import ipaddress
import os
import ssl
from pathlib import Path

import txaio

txaio.use_asyncio()

from autobahn.wamp import auth  # noqa: E402
from autobahn.wamp.cryptosign import CryptosignKey  # noqa: E402
from autobahn.wamp.serializer import JsonSerializer  # noqa: E402
from autobahn.wamp.types import ComponentConfig  # noqa: E402

from wamp_helpers import Client, LeftBeforeJoin, connect_and_join  # noqa: E402

IMPL = os.environ.get("ROUTER_IMPL", "ours")
CONFIGS = Path(__file__).resolve().parent.parent / "configs"
USER_CONFIG = CONFIGS / "crossbar-user.json"
SECURE_CONFIG = CONFIGS / "secure-deployment.yaml"

APP, OPS, SECURE = "com.example.app", "com.example.ops", "com.example.secure"
WAIT = 10.0  # every wait on the network is bounded by this many seconds
TEST_TIMEOUT = 45.0  # and each test as a whole (wamp_helpers.run)


def key_for(name: str) -> CryptosignKey:
    """The test's Ed25519 keys: the seed is derived from a name, so configs can list the public
    keys (printed by `python -c "...key_for('device-7').public_key()"`)."""
    return CryptosignKey.from_bytes(hashlib.sha256(("interop-" + name).encode()).digest())


# Credentials of interop/configs/crossbar-user.json (transport 0: static principals).
ALICE = dict(authmethods=["ticket"], authid="alice", ticket="alice-ticket-9f2c")
CAROL = dict(authmethods=["ticket"], authid="carol", ticket="carol-ticket-71ab")
BACKEND = dict(authmethods=["wampcra"], authid="backend", secret="backend-secret-5e1d")
BOB = dict(authmethods=["wampcra"], authid="bob", secret="bob-password-c44a")
DEVICE7 = dict(authmethods=["cryptosign"], authid="device-7", key="device-7")
OPS_DAVE = dict(authmethods=["cryptosign"], authid="ops-dave", key="ops-dave")
BOB_SALT = dict(salt="bob-salt-0e7f", iterations=1000, keylen=32)
# Transport 1 (web, path ws): dynamic authenticators, answered by auth_backend.py.
DYN_TICKET = "dyn-alice-ticket-2d90"


class AuthClient(Client):
    """A Client that announces authmethods/authid/authextra and answers the CHALLENGE."""

    def __init__(self, config, creds: dict):
        super().__init__(config)
        self.creds = creds
        self.challenges = []

    def onConnect(self):
        c = self.creds
        authextra = dict(c.get("authextra") or {})
        if c.get("key") and "pubkey" not in authextra:
            authextra["pubkey"] = key_for(c["key"]).public_key()
        self.join(self.config.realm, authmethods=c.get("authmethods"), authid=c.get("authid"),
                  authextra=authextra or None)

    def onChallenge(self, challenge):
        self.challenges.append(challenge)
        c = self.creds
        if challenge.method == "ticket":
            return c["ticket"]
        if challenge.method == "wampcra":
            secret = c["secret"]
            if "salt" in challenge.extra:
                secret = auth.derive_key(secret, challenge.extra["salt"], challenge.extra.get("iterations", 1000),
                                         challenge.extra.get("keylen", 32))
            return auth.compute_wcs(secret, challenge.extra["challenge"]).decode("ascii")
        if challenge.method == "cryptosign":
            return key_for(c["key"]).sign_challenge(challenge)
        raise Exception(f"unexpected challenge method {challenge.method!r}")


async def auth_session(url: str, realm: str, creds: dict | None = None, *, ssl_context=None,
                       timeout: float = WAIT) -> AuthClient:
    """Connect and join `realm` with `creds` (ALICE, BOB, ... or {} for anonymous). Raises
    LeftBeforeJoin (with the ABORT's reason and message) when the router refuses."""
    return await connect_and_join(
        url, lambda: AuthClient(ComponentConfig(realm), creds or {}), serializers=[JsonSerializer()],
        protocol_options=dict(openHandshakeTimeout=5.0, closeHandshakeTimeout=2.0, failByDrop=False),
        ssl_context=ssl_context, timeout=timeout)


async def refused(url: str, realm: str, creds: dict | None = None, **kw):
    """The router must refuse the join: returns the ABORT's CloseDetails (reason, message)."""
    try:
        session = await auth_session(url, realm, creds, **kw)
    except LeftBeforeJoin as e:
        return e.details
    session.leave()
    raise AssertionError(f"expected the router to refuse {creds!r} on {realm}, but it joined as "
                         f"authid={session._authid!r} authrole={session._authrole!r}")


# --------------------------------------------------------------------------------------------
# A test CA and a server certificate for 127.0.0.1 / localhost (the secure-deployment config)


def make_test_pki() -> dict[str, bytes]:
    """ca.crt, server.crt (signed by the CA, SAN localhost and 127.0.0.1) and server.key (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wamp-router interop test CA")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                            content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False,
                                            encipher_only=False, decipher_only=False), critical=True)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return {
        "ca.crt": ca_cert.public_bytes(pem),
        "server.crt": cert.public_bytes(pem),
        "server.key": key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    }


def client_ssl_context(ca_pem: bytes, maximum=None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=ca_pem.decode())
    if maximum is not None:
        ctx.maximum_version = maximum
    return ctx

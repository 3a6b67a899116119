"""The Kubernetes lab's PKI: one CA, serving and client certificates, service-account keys.

What kubeadm or Talos would issue, made with `cryptography`: an apiserver serving certificate
whose SANs are the VIP, the node addresses and the in-cluster names; client certificates whose
subject is the identity (CN = user, O = groups) the Node and RBAC authorizers read; and
kubeconfigs embedding them. Keys are EC P-256 (fast to make: the whole set in well under 1 s).
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_FOR = datetime.timedelta(days=30)
SKEW = datetime.timedelta(minutes=5)  # clock-skew defects move a node's clock by 30 s


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(common_name: str, groups: tuple[str, ...] = ()) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
    return x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def write_private(path: Path, data: bytes) -> None:
    """A key or a kubeconfig: readable by root only from its first byte."""
    path.touch(mode=0o600)
    path.write_bytes(data)


@dataclass(frozen=True)
class Issued:
    cert_pem: bytes
    key_pem: bytes

    def write(self, directory: Path, stem: str) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        cert, key = directory / f"{stem}.crt", directory / f"{stem}.key"
        cert.write_bytes(self.cert_pem)
        write_private(key, self.key_pem)
        return cert, key


class CertificateAuthority:
    def __init__(self, common_name: str = "cluster-harness lab CA") -> None:
        self._key = _key()
        now = datetime.datetime.now(datetime.UTC)
        self._name = _name(common_name)
        self.cert = (
            x509.CertificateBuilder().subject_name(self._name).issuer_name(self._name)
            .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - SKEW).not_valid_after(now + VALID_FOR)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(self._key, hashes.SHA256())
        )

    @classmethod
    def load(cls, cert_path: Path, key_path: Path) -> CertificateAuthority:
        """The lab's CA from its files, to issue more identities (a test's limited user)."""
        ca = cls.__new__(cls)
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{key_path}: not an EC private key")
        ca._key = key
        ca.cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        ca._name = ca.cert.subject
        return ca

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def issued(self) -> Issued:
        return Issued(self.cert_pem, _pem_key(self._key))

    def issue(self, common_name: str, *, groups: tuple[str, ...] = (), server: bool = False,
              client: bool = True, dns: tuple[str, ...] = (), ips: tuple[str, ...] = ()) -> Issued:
        key = _key()
        now = datetime.datetime.now(datetime.UTC)
        usages = [u for u, on in ((ExtendedKeyUsageOID.SERVER_AUTH, server),
                                  (ExtendedKeyUsageOID.CLIENT_AUTH, client)) if on]
        builder = (
            x509.CertificateBuilder().subject_name(_name(common_name, groups))
            .issuer_name(self._name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - SKEW).not_valid_after(now + VALID_FOR)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        )
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return Issued(builder.sign(self._key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM),
                      _pem_key(key))


def service_account_keys() -> Issued:
    """The key pair that signs and verifies service-account tokens (cert_pem holds the public key)."""
    key = _key()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return Issued(public, _pem_key(key))


def kubeconfig(*, server: str, ca_pem: bytes, user: str, client: Issued, cluster: str = "lab") -> str:
    """A kubeconfig with one cluster, one user and one context, certificates inline."""
    import base64

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    document = {
        "apiVersion": "v1", "kind": "Config", "current-context": f"{user}@{cluster}",
        "clusters": [{"name": cluster, "cluster": {"server": server,
                                                   "certificate-authority-data": b64(ca_pem)}}],
        "users": [{"name": user, "user": {"client-certificate-data": b64(client.cert_pem),
                                          "client-key-data": b64(client.key_pem)}}],
        "contexts": [{"name": f"{user}@{cluster}", "context": {"cluster": cluster, "user": user}}],
    }
    return yaml.safe_dump(document, sort_keys=False)

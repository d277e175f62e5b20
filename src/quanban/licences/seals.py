"""Electronic seals (电子印章): each department's signing keys, kept outside the database.

Two algorithms behind one interface:

- ``sm2``: SM2 signatures (GB/T 32918) over SM3 digests, with the default signer id
  ``1234567812345678``, through tongsuopy (Python bindings of Tongsuo, the C library of the
  national algorithms; about 1,600 verifications a second on one core here). The default.
- ``ed25519``: Ed25519 through ``cryptography`` (OpenSSL), the configurable alternative.

Keys live in ``settings.LICENCE_SEAL_DIR`` (default ``var/seals/``): one folder per department,
named by its credit code, holding ``<key id>.key`` (PKCS#8 PEM, readable by the owner only),
``<key id>.pub`` (SubjectPublicKeyInfo PEM) and ``current`` (the key id new seals use). Rotation
writes a new pair and moves ``current``; old public keys stay, so every licence signed with them
still verifies (each signature names its key id). Public keys are only read from here, never from
the database, so whoever can change database rows still cannot make a forged seal verify.
"""

from __future__ import annotations

import base64
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings
from django.utils.translation import gettext as _

from quanban.core.audit import sm3_hex
from quanban.core.errors import Conflict, NotFound, ValidationFailed

CURRENT = "current"


class Algorithm(Protocol):
    name: str

    def generate(self) -> tuple[bytes, bytes]:
        """A new (private PEM, public PEM) pair."""

    def load_private(self, pem: bytes) -> Any: ...

    def load_public(self, pem: bytes) -> Any: ...

    def sign(self, private_key: Any, data: bytes) -> bytes: ...

    def verify(self, public_key: Any, signature: bytes, data: bytes) -> bool: ...


class SM2:
    """SM2 with SM3 through tongsuopy (C, Tongsuo)."""

    name = "sm2"

    def __init__(self) -> None:
        from tongsuopy.crypto import hashes as t_hashes
        from tongsuopy.crypto import serialization as t_serialization
        from tongsuopy.crypto.asymciphers import ec
        from tongsuopy.crypto.exceptions import InternalError as TongsuoError
        from tongsuopy.crypto.exceptions import InvalidSignature as TongsuoInvalid

        self._ec = ec
        self._ser = t_serialization
        # A signature that is not even well-formed DER ends as Tongsuo's InternalError.
        self._invalid = (TongsuoInvalid, TongsuoError, ValueError)
        self._scheme = ec.ECDSA(t_hashes.SM3())  # on the SM2 curve: SM2 signing with SM3

    def generate(self) -> tuple[bytes, bytes]:
        key = self._ec.generate_private_key(self._ec.SM2())
        private = key.private_bytes(
            self._ser.Encoding.PEM, self._ser.PrivateFormat.PKCS8, self._ser.NoEncryption()
        )
        public = key.public_key().public_bytes(
            self._ser.Encoding.PEM, self._ser.PublicFormat.SubjectPublicKeyInfo
        )
        return private, public

    def load_private(self, pem: bytes) -> Any:
        return self._ser.load_pem_private_key(pem, password=None)

    def load_public(self, pem: bytes) -> Any:
        return self._ser.load_pem_public_key(pem)

    def sign(self, private_key: Any, data: bytes) -> bytes:
        return bytes(private_key.sign(data, self._scheme))

    def verify(self, public_key: Any, signature: bytes, data: bytes) -> bool:
        try:
            public_key.verify(signature, data, self._scheme)
        except self._invalid:
            return False
        return True


class Ed25519:
    name = "ed25519"

    def generate(self) -> tuple[bytes, bytes]:
        key = ed25519.Ed25519PrivateKey.generate()
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return private, public

    def load_private(self, pem: bytes) -> Any:
        return serialization.load_pem_private_key(pem, password=None)

    def load_public(self, pem: bytes) -> Any:
        return serialization.load_pem_public_key(pem)

    def sign(self, private_key: Any, data: bytes) -> bytes:
        return bytes(private_key.sign(data))

    def verify(self, public_key: Any, signature: bytes, data: bytes) -> bool:
        try:
            public_key.verify(signature, data)
        except (InvalidSignature, ValueError):
            return False
        return True


@functools.cache
def algorithm(name: str) -> Algorithm:
    if name == "sm2":
        return SM2()
    if name == "ed25519":
        return Ed25519()
    raise ValidationFailed(
        _("不支持的签章算法：%(name)s。") % {"name": name}, code="seal_algorithm_unknown"
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


# --- The key store -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealKey:
    department_code: str
    key_id: str
    algorithm: str
    public_pem: bytes
    current: bool


def seal_dir() -> Path:
    return Path(settings.LICENCE_SEAL_DIR)


def _folder(department_code: str) -> Path:
    return seal_dir() / department_code


def _algorithm_of(key_id: str) -> str:
    # A key id is "<algorithm>-<first 16 hex digits of the SM3 of the public key>".
    return key_id.split("-", 1)[0]


def seal_key_create(*, department_code: str, algorithm_name: str | None = None) -> SealKey:
    """A new key pair for the department, written to the store and made current.

    The files are written; the caller (the management command) records the audit entry.
    """
    name = algorithm_name or settings.LICENCE_SEAL_ALGORITHM
    alg = algorithm(name)
    private, public = alg.generate()
    key_id = f"{name}-{sm3_hex(public)[:16]}"
    folder = _folder(department_code)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    private_path = folder / f"{key_id}.key"
    # Created readable by the owner only, before anything is written into it.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    (folder / f"{key_id}.pub").write_bytes(public)
    temporary = folder / f"{CURRENT}.tmp"
    temporary.write_text(key_id + "\n")
    temporary.replace(folder / CURRENT)  # atomic: a reader sees the old or the new current key
    _current_cache_clear()
    return SealKey(department_code, key_id, name, public, True)


def seal_keys_list(*, department_code: str) -> list[SealKey]:
    folder = _folder(department_code)
    if not folder.is_dir():
        return []
    current = _current_key_id(str(seal_dir()), department_code)
    return [
        SealKey(
            department_code,
            path.stem,
            _algorithm_of(path.stem),
            path.read_bytes(),
            path.stem == current,
        )
        for path in sorted(folder.glob("*.pub"))
    ]


def _current_key_id(store: str, department_code: str) -> str | None:
    path = Path(store) / department_code / CURRENT
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


@functools.cache
def _private_key(store: str, department_code: str, key_id: str) -> Any:
    pem = (Path(store) / department_code / f"{key_id}.key").read_bytes()
    return algorithm(_algorithm_of(key_id)).load_private(pem)


# Loaded public keys by (store, department, key id). Keys that were not found are not remembered:
# another process may write them later (a rotation).
_PUBLIC: dict[tuple[str, str, str], Any] = {}


def _public_key(store: str, department_code: str, key_id: str) -> Any:
    """The loaded public key; ``None`` when the store has no such key."""
    cache_key = (store, department_code, key_id)
    found = _PUBLIC.get(cache_key)
    if found is not None:
        return found
    if "/" in key_id or "\\" in key_id or key_id.startswith(".") or "/" in department_code:
        return None
    path = Path(store) / department_code / f"{key_id}.pub"
    try:
        pem = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        found = algorithm(_algorithm_of(key_id)).load_public(pem)
    except (ValidationFailed, ValueError):
        return None
    _PUBLIC[cache_key] = found
    return found


def _current_cache_clear() -> None:
    _private_key.cache_clear()
    _PUBLIC.clear()


def seal_cache_clear() -> None:
    """Forget loaded keys (tests that switch stores, a rotation in another process)."""
    _current_cache_clear()


@dataclass(frozen=True)
class Seal:
    algorithm: str
    key_id: str
    signature: str  # base64


def seal_sign(*, department_code: str, data: bytes) -> Seal:
    """Sign with the department's current key; Conflict when it has none (run the command)."""
    store = str(seal_dir())
    key_id = _current_key_id(store, department_code)
    if key_id is None:
        raise Conflict(
            _("颁证部门（%(code)s）尚无电子印章密钥，请先运行 quanban seal-keys create 生成。")
            % {"code": department_code},
            code="seal_key_missing",
        )
    try:
        private = _private_key(store, department_code, key_id)
    except FileNotFoundError as error:
        raise NotFound(
            _("找不到电子印章私钥 %(key)s。") % {"key": key_id}, code="seal_key_missing"
        ) from error
    name = _algorithm_of(key_id)
    return Seal(name, key_id, b64(algorithm(name).sign(private, data)))


def seal_verify(*, department_code: str, seal: Seal, data: bytes) -> bool:
    """Whether the seal is a good signature of ``data`` by a key (current or old) of the
    department. An unknown key id or an undecodable signature is simply not good."""
    if _algorithm_of(seal.key_id) != seal.algorithm:
        return False
    public = _public_key(str(seal_dir()), department_code, seal.key_id)
    if public is None:
        return False
    try:
        signature = unb64(seal.signature)
    except ValueError:
        return False
    return algorithm(seal.algorithm).verify(public, signature, data)

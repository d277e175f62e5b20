"""The archive package (电子档案包) of a closed case: its layout, writing and checking.

A package is one ZIP file whose members are stored, not compressed (a damaged byte damages only
its own file, and any unzip tool opens it in fifty years), holding the case's files and

- ``manifest.json``: the format, the case, when and by whom it was built, and every other member
  with its size and SM3 digest (GB/T 32905), sorted by path;
- ``manifest.sig``: the platform seal's signature over the exact bytes of ``manifest.json``
  (algorithm, key id, signer, base64 signature; see ``quanban.licences.seals``).

Checking a package needs no database: the signature with the signer's public key from the seal
store, then each file against its digest. This module reads and writes bytes only; the services
that gather a case's files and record the package are in ``quanban.licences.archives``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quanban.licences import seals

FORMAT = "quanban-archive/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
RESERVED = frozenset({MANIFEST, SIGNATURE})
# Characters a member's name may not carry (path separators, Windows' reserved, controls).
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_name(text: str, *, limit: int = 60) -> str:
    """A file name made of ``text``: separators and reserved characters become ``_``."""
    cleaned = _UNSAFE.sub("_", text).strip(" .")
    return cleaned[:limit] or "_"


def json_bytes(value: Any) -> bytes:
    """Readable JSON (indented, sorted keys, UTF-8 unescaped) for the package's own files."""
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


@dataclass(frozen=True)
class Member:
    path: str
    content: bytes


def manifest_build(
    *,
    case: dict[str, Any],
    built_at: dt.datetime,
    signer: str,
    members: Sequence[Member],
) -> bytes:
    paths = [m.path for m in members]
    if len(set(paths)) != len(paths) or RESERVED & set(paths):
        raise ValueError(f"duplicate or reserved member names in {paths}")
    return json_bytes(
        {
            "format": FORMAT,
            "case": case,
            "built_at": built_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "signer": signer,
            "files": [
                {"path": m.path, "size": len(m.content), "sm3": seals.sm3_hex(m.content)}
                for m in sorted(members, key=lambda m: m.path)
            ],
        }
    )


def signature_bytes(*, signer: str, seal: seals.Seal, manifest: bytes) -> bytes:
    return json_bytes(
        {
            "signer": signer,
            "algorithm": seal.algorithm,
            "key_id": seal.key_id,
            "signature": seal.signature,
            "manifest_sm3": seals.sm3_hex(manifest),
        }
    )


def package_write(
    target: Path, *, members: Sequence[Member], manifest: bytes, signature: bytes, when: dt.datetime
) -> int:
    """Write the package to a temporary file beside ``target`` and move it into place (a reader
    never sees half a package); the size written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = when.timetuple()[:6]
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".building-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as z:
            for name, content in (
                (MANIFEST, manifest),
                (SIGNATURE, signature),
                *((m.path, m.content) for m in members),
            ):
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_STORED
                z.writestr(info, content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target.stat().st_size


# --- Checking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a package. ``kind``: ``unreadable`` (not a package at all),
    ``signature`` (the manifest's seal), ``changed``, ``missing`` or ``extra`` (a file)."""

    kind: str
    path: str
    detail: str


@dataclass
class Verification:
    problems: list[Problem] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    seal: dict[str, Any] = field(default_factory=dict)
    manifest_sm3: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def files(self) -> int:
        return len(self.manifest.get("files", []))


def package_verify(path: Path, *, signer: str) -> Verification:
    """Check a package: the manifest's seal (by ``signer``'s keys), then every file listed in it
    (present, same size and SM3 digest), then that nothing else is in it."""
    result = Verification()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        result.problems.append(Problem("unreadable", str(path), f"not a ZIP package: {error}"))
        return result
    with archive:
        names = archive.namelist()
        absent = [name for name in (MANIFEST, SIGNATURE) if name not in names]
        if absent:
            result.problems.append(Problem("unreadable", str(path), f"no {absent[0]}"))
            return result
        try:
            manifest = archive.read(MANIFEST)
            signature = json.loads(archive.read(SIGNATURE))
            parsed = json.loads(manifest)
        except (ValueError, zipfile.BadZipFile, zlib.error) as error:
            result.problems.append(
                Problem("unreadable", str(path), f"manifest unreadable: {error}")
            )
            return result
        files = parsed.get("files") if isinstance(parsed, dict) else None
        if (
            not isinstance(parsed, dict)
            or parsed.get("format") != FORMAT
            or not isinstance(files, list)
            or not all(isinstance(entry, dict) for entry in files)
            or not isinstance(parsed.get("case"), dict)
        ):
            result.problems.append(Problem("unreadable", MANIFEST, f"not a {FORMAT} manifest"))
            return result
        result.manifest = parsed
        result.seal = signature if isinstance(signature, dict) else {}
        result.manifest_sm3 = seals.sm3_hex(manifest)
        _check_seal(result, manifest, signer)
        listed: set[str] = set()
        for entry in files:
            name = str(entry.get("path", ""))
            listed.add(name)
            if name not in names:
                result.problems.append(Problem("missing", name, "listed in the manifest, absent"))
                continue
            try:
                content = archive.read(name)
            except (zipfile.BadZipFile, zlib.error, OSError) as error:
                result.problems.append(Problem("changed", name, f"damaged: {error}"))
                continue
            if len(content) != entry.get("size") or seals.sm3_hex(content) != entry.get("sm3"):
                result.problems.append(
                    Problem("changed", name, "its SM3 digest differs from the manifest's")
                )
        for name in names:
            if name not in listed and name not in RESERVED:
                result.problems.append(Problem("extra", name, "not listed in the manifest"))
    return result


def _check_seal(result: Verification, manifest: bytes, signer: str) -> None:
    seal = result.seal
    if seal.get("signer") != signer or result.manifest.get("signer") != signer:
        result.problems.append(
            Problem(
                "signature",
                SIGNATURE,
                f"signed by {seal.get('signer')!r}, not the platform seal {signer!r}",
            )
        )
        return
    good = seals.seal_verify(
        department_code=signer,
        seal=seals.Seal(
            str(seal.get("algorithm", "")),
            str(seal.get("key_id", "")),
            str(seal.get("signature", "")),
        ),
        data=manifest,
    )
    if not good:
        result.problems.append(
            Problem("signature", SIGNATURE, "the seal does not verify over manifest.json")
        )

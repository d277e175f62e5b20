"""Test overlay: the same settings, with fast hashing and tasks run in-process."""

from __future__ import annotations

import tempfile
from pathlib import Path

from quanban.config.settings import *  # noqa: F403
from quanban.config.settings import HUEY

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY = {**HUEY, "huey_class": "huey.MemoryHuey", "immediate": True}
HUEY.pop("filename", None)
HUEY.pop("url", None)
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="quanban-media-"))
# Seal keys made by tests go to a directory of the run, never to var/seals/.
LICENCE_SEAL_DIR = Path(tempfile.mkdtemp(prefix="quanban-seals-"))
ARCHIVE_DIR = Path(tempfile.mkdtemp(prefix="quanban-archives-"))
DEMO_MODE = True

"""The secret of a Qualtrics event subscription, kept in a file only its owner can read.

Qualtrics does not sign its callbacks: the secret in the callback URL is all the relay checks
(docs/fieldwork.md). `qtui qualtrics subscribe` writes it here rather than to the terminal,
where it would stay in scrollback and CI logs, and `qtui relay --qualtrics-secret-file` reads
it back. One secret per file; the file is created with mode 0600 and its folder 0700.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from qtui.config import data_dir

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def default_secret_file(survey_id: str) -> Path:
    """`$XDG_DATA_HOME/qtui/qualtrics-hooks/SV_….secret`."""
    return data_dir() / "qualtrics-hooks" / f"{_UNSAFE_NAME.sub('_', survey_id)}.secret"


def write_secret(path: Path, secret: str) -> Path:
    """Write `secret` to `path` (mode 0600, replacing what was there); its folder is made 0700."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an older file of the same name may have been readable
        os.write(fd, f"{secret}\n".encode())
    finally:
        os.close(fd)
    return path


def read_secret(path: Path) -> str:
    """The secret in `path`; ValueError saying what is wrong with the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist (qtui qualtrics subscribe writes it)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path} ({exc})") from None
    secret = text.strip()
    if not secret or any(c.isspace() for c in secret):
        raise ValueError(f"{path} does not hold one secret (one line, no spaces)")
    return secret

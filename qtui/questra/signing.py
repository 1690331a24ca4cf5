"""Questra webhook signatures: `X-Questra-Signature: sha256=<hex>` over the raw body.

The signature is HMAC-SHA256 of the request body bytes exactly as sent, keyed with the
webhook secret as UTF-8 (not hex-decoded), written as lowercase hex after the literal
prefix `sha256=`. Nothing else (no timestamp, no nonce) is signed, so the body must be
checked before it is parsed or re-serialised.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Questra-Signature"
PREFIX = "sha256="


class SignatureError(Exception):
    """A delivery whose signature cannot be trusted; `reason` says why, in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sign(body: bytes, secret: str) -> str:
    """The header value Questra sends for `body` under `secret`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return PREFIX + digest


def check(body: bytes, secret: str, header: str | None) -> None:
    """Raise `SignatureError` unless `header` is the signature of `body` under `secret`."""
    if header is None or not header.strip():
        raise SignatureError(f"missing {HEADER} header")
    value = header.strip()
    if not value.startswith(PREFIX):
        raise SignatureError(f"signature must start with {PREFIX}")
    # Compare the whole header string in constant time so the position of the first
    # differing character is not observable through timing.
    if not hmac.compare_digest(sign(body, secret).encode("ascii"), value.encode("utf-8")):
        raise SignatureError(
            "signature does not match the body (wrong secret, or the body was altered)"
        )


def verify(body: bytes, secret: str, header: str | None) -> bool:
    """True when `header` is the signature of `body` under `secret` (constant time)."""
    try:
        check(body, secret, header)
    except SignatureError:
        return False
    return True

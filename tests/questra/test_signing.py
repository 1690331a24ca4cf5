from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qtui.questra.signing import SignatureError, check, sign, verify

# The vector from specs/questra-api.md §9.3 (114 bytes, no trailing newline).
VECTOR_SECRET = "test_secret_123"
VECTOR_BODY = (
    b'{"event":"survey.created","data":{"id":"a1b2c3d4-e5f6-4890-abcd-ef1234567890"},'
    b'"timestamp":"2025-10-01T12:00:00Z"}'
)
VECTOR_HEADER = "sha256=c2dd4c6a50d2850dfe2879e7b132bf6cffc53bf68787e69e5a856b80b225d763"


def test_spec_vector_is_reproduced() -> None:
    assert len(VECTOR_BODY) == 114
    assert sign(VECTOR_BODY, VECTOR_SECRET) == VECTOR_HEADER


def test_spec_vector_verifies() -> None:
    assert verify(VECTOR_BODY, VECTOR_SECRET, VECTOR_HEADER)
    check(VECTOR_BODY, VECTOR_SECRET, VECTOR_HEADER)


def test_secret_is_used_as_utf8_text_not_hex_decoded() -> None:
    secret = "a1b2c3d4e5f6"  # looks like hex; must still be keyed as its characters
    expected = hmac.new(secret.encode("utf-8"), b"{}", hashlib.sha256).hexdigest()
    assert sign(b"{}", secret) == "sha256=" + expected


def test_non_ascii_secret_is_keyed_as_utf8() -> None:
    expected = hmac.new("clé-ß".encode(), b"x", hashlib.sha256).hexdigest()
    assert sign(b"x", "clé-ß") == "sha256=" + expected


def test_digest_is_lowercase_hex() -> None:
    digest = sign(VECTOR_BODY, VECTOR_SECRET).removeprefix("sha256=")
    assert digest == digest.lower()
    assert len(digest) == 64


def test_surrounding_whitespace_in_header_is_tolerated() -> None:
    assert verify(VECTOR_BODY, VECTOR_SECRET, f"  {VECTOR_HEADER}\t")


def test_wrong_secret_is_rejected_with_reason() -> None:
    with pytest.raises(SignatureError) as caught:
        check(VECTOR_BODY, "other_secret", VECTOR_HEADER)
    assert caught.value.reason == (
        "signature does not match the body (wrong secret, or the body was altered)"
    )
    assert not verify(VECTOR_BODY, "other_secret", VECTOR_HEADER)


def test_altered_body_is_rejected() -> None:
    altered = VECTOR_BODY.replace(b"survey.created", b"survey.deleted")
    assert not verify(altered, VECTOR_SECRET, VECTOR_HEADER)


def test_reserialised_body_does_not_verify() -> None:
    # Same JSON value, different bytes: the signature covers bytes, not meaning.
    spaced = VECTOR_BODY.replace(b'":', b'": ')
    assert not verify(spaced, VECTOR_SECRET, VECTOR_HEADER)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header_is_rejected_with_reason(header: str | None) -> None:
    with pytest.raises(SignatureError) as caught:
        check(VECTOR_BODY, VECTOR_SECRET, header)
    assert caught.value.reason == "missing X-Questra-Signature header"
    assert not verify(VECTOR_BODY, VECTOR_SECRET, header)


@pytest.mark.parametrize(
    "header",
    [
        "c2dd4c6a50d2850dfe2879e7b132bf6cffc53bf68787e69e5a856b80b225d763",
        "sha1=c2dd4c6a50d2850dfe2879e7b132bf6cffc53bf68787e69e5a856b80b225d763",
        "SHA256=c2dd4c6a50d2850dfe2879e7b132bf6cffc53bf68787e69e5a856b80b225d763",
    ],
)
def test_header_without_sha256_prefix_is_rejected_with_reason(header: str) -> None:
    with pytest.raises(SignatureError) as caught:
        check(VECTOR_BODY, VECTOR_SECRET, header)
    assert caught.value.reason == "signature must start with sha256="


def test_truncated_digest_is_rejected() -> None:
    assert not verify(VECTOR_BODY, VECTOR_SECRET, VECTOR_HEADER[:-1])


def test_non_ascii_header_is_rejected_not_crashing() -> None:
    assert not verify(VECTOR_BODY, VECTOR_SECRET, "sha256=é" + "0" * 63)


@given(body=st.binary(max_size=512), secret=st.text(min_size=1, max_size=40))
def test_any_body_verifies_under_its_own_signature(body: bytes, secret: str) -> None:
    assert verify(body, secret, sign(body, secret))


@given(body=st.binary(min_size=1, max_size=256), data=st.data())
def test_flipping_any_byte_breaks_the_signature(body: bytes, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    flipped = body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]
    assert not verify(flipped, "secret", sign(body, "secret"))

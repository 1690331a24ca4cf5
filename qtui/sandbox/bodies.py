"""Request bodies for the emulators: capped in size, parsed strictly, refused with a reason.

Both emulators read JSON bodies through `read_json`, so every endpoint answers the same
class of bad input the same way: a body over `MAX_BODY_BYTES` is 413; one that is not
UTF-8, not JSON, nested past 64 levels, or holds lone surrogates, integers past 64 bits
or floats that overflow is 400 (see `qtui.strict_json`). Nothing of the kind is ever
stored, so no later read of a survey or a session can fail on it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import ClientDisconnect, Request

from qtui import strict_json

# Larger than any survey definition or QSF the sandbox is fed in practice.
MAX_BODY_BYTES = 16 * 1024 * 1024


class BodyError(Exception):
    """A body refused before it reached an endpoint: `status` and a one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_body(request: Request, limit: int | None = None) -> bytes:
    """The raw body, or `BodyError` 413 as soon as it is known to pass `limit` bytes."""
    limit = MAX_BODY_BYTES if limit is None else limit
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and (len(declared) > 20 or int(declared) > limit):
        raise BodyError(413, f"is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyError(413, f"is larger than {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise BodyError(400, "ended before it was complete (the client disconnected)") from None
    return b"".join(chunks)


async def read_json(request: Request, *, empty: Any = None, limit: int | None = None) -> Any:
    """The body as strict JSON; `empty` (when not None) stands for a blank body.

    Reasons read after "the request body …" ("is not valid JSON: …", "is not UTF-8 text
    (byte 3)", "is refused: nesting is deeper than 64 levels"), so each emulator can word
    its own error envelope around them.
    """
    raw = await read_body(request, limit)
    if not raw.strip():
        if empty is not None:
            return empty
        raise BodyError(400, "is empty; send a JSON object")
    try:
        return strict_json.loads(raw)
    except strict_json.StrictJsonError as exc:
        reason = str(exc)
        wording = f"is {reason}" if reason.startswith("not ") else f"is refused: {reason}"
        raise BodyError(400, wording) from None

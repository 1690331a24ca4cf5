"""Nothing a sender controls reaches a log line raw: control characters escaped, length cut.

A terminal acts on ESC sequences (clear the screen, rewrite the title, recolour), on C1
controls such as U+009B, and displays bidi overrides reversed; a log line is read in a
terminal, so none of these may pass through from a path, a delivery id, an event type,
a survey filter or a reason.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import pytest
from websockets.asyncio.client import connect

from qtui.questra.signing import sign
from qtui.requestlog import escape
from tests.relay.conftest import SECRET

UNSAFE = ["\x1b", "\x9b", "\x07", "\u202e", "\u200b", "\r", "\n", "\x00"]


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("qtui.relay")]


def assert_safe(text: str, limit: int = 600) -> None:
    for char in UNSAFE:
        assert char not in text, (char, text[:200])
    assert len(text) < limit, len(text)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("a\u202eb", "a\\u202eb"),
        ("\x9b31m", "\\x9b31m"),
        ("back\\slash", "back\\slash"),
        ("\U0001f600 é", "\U0001f600 é"),
        ("x" * 300, "x" * 200 + "…(+100 chars)"),
    ],
)
def test_escape_shows_unsafe_characters_and_cuts(raw: str, shown: str) -> None:
    assert escape(raw) == shown
    if len(raw) < 200:
        assert escape(escape(raw)) == escape(raw)  # an escaped note stays as it is


async def test_event_type_with_escapes_is_logged_escaped(relay, caplog) -> None:
    caplog.set_level(logging.INFO)
    event = "page.created\x1b]0;pwned\x07\x1b[2J\u202e" + "y" * 5000
    body = json.dumps({"event": event, "data": {}}).encode()
    headers = {"X-Questra-Signature": sign(body, SECRET), "X-Questra-Delivery": "d1"}
    assert (await relay.post_raw(body, headers)).status_code == 200
    (line,) = [m for m in lines(caplog) if "stored seq=1" in m]
    assert_safe(line)
    assert "page.created\\x1b]0;pwned\\x07\\x1b[2J\\u202e" in line


async def test_forged_delivery_id_with_c1_controls_is_logged_escaped(relay, caplog) -> None:
    caplog.set_level(logging.INFO)
    body = b'{"event": "page.created", "data": {}}'
    # Header values may carry bytes 0x80-0xff; 0x9b is the one-byte CSI of C1 terminals.
    headers = {"X-Questra-Signature": "sha256=" + "0" * 64, "X-Questra-Delivery": "d\x9b2J" * 100}
    response = await relay.http.post(
        "/hooks/questra",
        content=body,
        headers={k: v.encode("latin-1") for k, v in headers.items()},
    )
    assert response.status_code == 401
    (warning,) = [m for m in lines(caplog) if m.startswith("rejected questra delivery")]
    assert_safe(warning)
    assert "d\\x9b2J" in warning


async def test_path_with_encoded_controls_is_logged_escaped(relay, caplog) -> None:
    caplog.set_level(logging.INFO)
    response = await relay.http.post("/hooks/" + quote("\x1b[31mred\u202e") + "x" * 3000)
    assert response.status_code == 404
    assert "\x1b" not in response.json()["error"]
    for line in lines(caplog):
        assert_safe(line, limit=700)
    assert any("/hooks/\\x1b[31mred\\u202e" in line for line in lines(caplog))


async def test_survey_filter_with_controls_is_logged_escaped(relay, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with connect(f"{relay.ws_url}/stream?survey={quote(chr(27) + '[2Jsurvey')}") as ws:
        await ws.recv()  # the heartbeat after the (empty) backlog
    opened = [m for m in lines(caplog) if m.startswith("WS /stream open")]
    assert opened and "\\x1b[2Jsurvey" in opened[0]
    assert_safe(opened[0])

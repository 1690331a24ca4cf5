"""Text from outside (files, payloads, survey text) made safe to show.

Two forms, over one notion of what is unsafe:

- `escaped` and `one_line`, for log lines and one-line messages: every character a terminal
  might act on or hide — controls (an ESC shows as `\\x1b`), format characters such as the
  bidirectional overrides (`\\u202e`), lone surrogates (`\\ud800`, which no terminal can
  encode), private-use and unassigned code points, line and paragraph separators — is written
  as its escape; `one_line` also joins lines and cuts the result to a length with `…`.
- `printable`, for the screen: the same controls, lone surrogates and bidirectional controls
  each become one visible character, so lengths stay (a Rich `Text`'s styles stay in place).
  Rich passes an ESC in a label straight to the terminal otherwise, and a terminal or browser
  that reorders right-to-left text obeys a U+202E in a label: `Age \\u202e81 rednu` reads as
  `Age under 18`. Emoji joiners and other format characters are kept there, as written.
"""

from __future__ import annotations

import re
import unicodedata

# Unicode's bidirectional controls: the embeddings and overrides (U+202A–U+202E), the
# isolates (U+2066–U+2069), and the marks (LRM U+200E, RLM U+200F, ALM U+061C).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"

# Control, format (bidi overrides, zero-width), surrogate, private-use, unassigned and
# line/paragraph separator characters: anything a terminal might act on or hide.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _escaped_char(char: str) -> str:
    # Backslashes are left alone, so escaping twice changes nothing the second time.
    if unicodedata.category(char) not in _UNSAFE_CATEGORIES:
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escaped(text: str) -> str:
    """`text` with every unsafe character written as its escape (`\\x1b`, `\\u202e`)."""
    return text if text.isprintable() else "".join(_escaped_char(c) for c in text)


_LINE_BREAKS = str.maketrans("\n\r\t", "   ")


def one_line(text: str, limit: int = 300) -> str:
    """`text` on one line with every unsafe character escaped, at most `limit` characters."""
    safe = escaped(text.translate(_LINE_BREAKS))
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


def lone_surrogate(value: object, path: str = "") -> str | None:
    """The JSON path of the first string (or key) in `value` holding a lone surrogate."""
    stack: list[tuple[object, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return where or "(top level)"
        elif isinstance(item, dict):
            for key, child in item.items():
                key_text = str(key)
                if _SURROGATE.search(key_text):
                    return f"{where}.{one_line(key_text, 40)}" if where else one_line(key_text, 40)
                stack.append((child, f"{where}.{key_text}" if where else key_text))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
    return None


_SURROGATE = re.compile(r"[\ud800-\udfff]")


# For the screen: each unsafe character becomes one visible character, so lengths (and the
# styled spans of a Rich `Text`) stay as they are. ESC shows as ␛, BEL as ␇; C1 controls,
# lone surrogates and bidirectional controls, which have no picture, as �. Newlines and tabs
# are kept.
SCREEN_UNSAFE = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\ud800-\\udfff{BIDI_CONTROLS}]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def printable(text: str) -> str:
    """`text` with every control character, lone surrogate and bidirectional control
    replaced by a visible one."""
    return SCREEN_UNSAFE.sub(_picture, text) if SCREEN_UNSAFE.search(text) else text

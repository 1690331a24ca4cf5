"""Text from outside (files, payloads, variables) made safe to show on one terminal line.

`one_line` escapes control characters (an ESC shows as `\\x1b`, so no escape sequence from a
file or a request ever reaches the terminal), lone surrogates (`\\ud800`, which no terminal
can encode), and joins lines, then cuts the result to a length with `…`. `printable` does the
same for the screen without changing lengths (a Rich `Text`'s styles stay in place) — Rich
passes an ESC in a label straight to the terminal otherwise.
"""

from __future__ import annotations

import re

# C0/C1 controls, DEL, and the surrogate range (only lone surrogates survive into a str).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in "\n\r\t":
        return " "
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str, limit: int = 300) -> str:
    """`text` on one line with every unsafe character escaped, at most `limit` characters."""
    safe = _UNSAFE.sub(_escape, text)
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
# styled spans of a Rich `Text`) stay as they are. ESC shows as ␛, BEL as ␇; C1 controls and
# lone surrogates, which have no picture, as �. Newlines and tabs are kept.
_SCREEN_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def printable(text: str) -> str:
    """`text` with every control character and lone surrogate replaced by a visible one."""
    return _SCREEN_UNSAFE.sub(_picture, text) if _SCREEN_UNSAFE.search(text) else text

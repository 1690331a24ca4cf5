"""Text from outside (files, payloads, variables) made safe to show on one terminal line.

`one_line` escapes control characters (an ESC shows as `\\x1b`, so no escape sequence from a
file or a request ever reaches the terminal), lone surrogates (`\\ud800`, which no terminal
can encode), and joins lines, then cuts the result to a length with `…`.
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

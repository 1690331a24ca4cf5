"""Who may read the relay: the subscriber token, and the Host and Origin a browser sends.

A relay on a laptop listens on loopback, but a web page the developer visits can still
reach it. Two attacks, two checks, applied to every reading endpoint (`/stream`,
`/events`, the details of `/health`); webhooks are exempt, since their signature is their
authentication and a page cannot forge one:

- **DNS rebinding**: a page on `evil.example` re-points its name at 127.0.0.1 and reads
  the relay as same-origin. Its requests carry `Host: evil.example`. Without a token, only
  loopback Host values (plus an explicit allow-list) are served.
- **Cross-site WebSocket hijacking**: browsers let any page open a websocket to any
  address; the only tell is the `Origin` header. A request with an `Origin` is served only
  when that origin is loopback or on the allow-list; tools (qtui, curl, scripts) send none.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from qtui.relay.loopback import is_loopback
from qtui.requestlog import escape

TOKEN_HINT = "subscriber token missing or wrong: pass ?token=… or Authorization: Bearer …"


def normalise_origin(origin: str) -> str:
    """`HTTP://Example.com:3000/` → `http://example.com:3000` (how browsers send it)."""
    return origin.strip().rstrip("/").lower()


def host_name(host_header: str) -> str:
    """The name in a Host header, without port: `[::1]:8700` → `[::1]`, `a.b:80` → `a.b`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        rest = host[end + 1 :] if end != -1 else ""
        if end != -1 and (rest == "" or (rest[0] == ":" and rest[1:].isdigit())):
            return host[: end + 1]
        return host  # not a bracketed address after all: never loopback
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit():
        host = name
    return host.removesuffix(".")


@dataclass(frozen=True)
class Access:
    """The rules for readers; `problem(conn)` says why a request is refused, or None."""

    token: str | None = None
    allowed_origins: frozenset[str] = frozenset()
    allowed_hosts: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        token: str | None,
        allowed_origins: Iterable[str] = (),
        allowed_hosts: Iterable[str] = (),
    ) -> Access:
        return cls(
            token=token or None,
            allowed_origins=frozenset(normalise_origin(o) for o in allowed_origins),
            allowed_hosts=frozenset(host_name(h) for h in allowed_hosts),
        )

    def token_ok(self, conn: HTTPConnection) -> bool:
        if self.token is None:
            return True
        given = conn.query_params.get("token")
        if given is None:
            auth = conn.headers.get("authorization", "")
            scheme, _, value = auth.partition(" ")
            given = value.strip() if scheme.lower() == "bearer" else None
        if not given:
            return False
        return hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))

    def host_problem(self, conn: HTTPConnection) -> str | None:
        if self.token is not None:
            return None  # the token is the protection; any name may reach the relay
        raw = conn.headers.get("host")
        if raw is None:
            return "Host header missing; without a token the relay serves loopback only"
        name = host_name(raw)
        if is_loopback(name) or name in self.allowed_hosts:
            return None
        return (
            f"Host {escape(raw, 40)} is not loopback; without a token the relay serves "
            "loopback only (add it with --allow-host)"
        )

    def origin_problem(self, conn: HTTPConnection) -> str | None:
        raw = conn.headers.get("origin")
        if raw is None:
            return None
        origin = normalise_origin(raw)
        if "*" in self.allowed_origins or origin in self.allowed_origins:
            return None
        try:
            parts = urlsplit(origin)
            local = parts.scheme in ("http", "https") and is_loopback(parts.hostname or "")
        except ValueError:  # e.g. an unclosed [ipv6
            local = False
        if local:
            return None
        return f"browser origin {escape(raw, 40)} is not allowed (add it with --allow-origin)"

    def problem(self, conn: HTTPConnection) -> tuple[int, str] | None:
        """(HTTP status, reason) when `conn` may not read, else None."""
        for check in (self.host_problem, self.origin_problem):
            reason = check(conn)
            if reason is not None:
                return 403, reason
        if not self.token_ok(conn):
            return 401, TOKEN_HINT
        return None

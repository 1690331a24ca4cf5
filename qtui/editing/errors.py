"""What can stop an edit, each with the one line a user reads."""

from __future__ import annotations

from typing import Any


class EditError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EditRefused(EditError):
    """The platform answered 4xx: the form stays open with its message."""

    def __init__(self, message: str, status: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


class EditUnsent(EditError):
    """No answer (network, 5xx after retries): retry, or keep it as a draft."""


class EditConflict(EditError):
    """The item changed on the server since the form opened; `current` is the server's version."""

    def __init__(self, message: str, current: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.current = current

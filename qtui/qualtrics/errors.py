"""Errors from talking to Qualtrics, one class per thing a caller does differently about them.

Every message is one line that says what happened and what to do next.
"""

from __future__ import annotations


class QualtricsError(Exception):
    """Qualtrics answered with an error (or could not be reached / understood)."""

    hint = ""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.error_message = error_message if error_message is not None else message
        self.request_id = request_id
        self.method = method
        self.url = url

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_response(
        cls,
        status: int,
        error_code: str | None,
        error_message: str,
        *,
        request_id: str | None,
        method: str,
        url: str,
        retry_after: float | None = None,
    ) -> QualtricsError:
        """The right subclass for an HTTP error status, with a one-line message."""
        kind: type[QualtricsError]
        if status in (401, 403):
            kind = AuthError
        elif status == 404:
            kind = NotFoundError
        elif status == 409:
            kind = ConflictError
        elif status == 429:
            kind = RateLimitedError
        elif status >= 500:
            kind = ServerError
        else:
            kind = BadRequestError
        code = f" {error_code}" if error_code else ""
        message = f"Qualtrics rejected {method} {_path(url)} ({status}{code}): {error_message}"
        if kind.hint:
            message = f"{message} — {kind.hint}"
        if status == 401:
            message = (
                f"Qualtrics rejected the token (401{code}): set QTUI_QUALTRICS_TOKEN to a valid "
                "API token"
            )
        elif status == 403:
            message = (
                f"Qualtrics refused access (403{code}): the token's user lacks permission for "
                f"{method} {_path(url)}; use a token with access or set QTUI_QUALTRICS_TOKEN"
            )
        error = kind(
            message,
            status=status,
            error_code=error_code,
            error_message=error_message,
            request_id=request_id,
            method=method,
            url=url,
        )
        if isinstance(error, RateLimitedError):
            error.retry_after = retry_after
        return error


class AuthError(QualtricsError):
    """401/403: the token is missing, wrong, or lacks permission."""


class NotFoundError(QualtricsError):
    """404: no such survey, question, block, session or response."""

    hint = "check the id"


class BadRequestError(QualtricsError):
    """400 and other 4xx: Qualtrics refused the payload; the message names the field."""


class ConflictError(QualtricsError):
    """409: the resource is in a state that forbids this (e.g. a finished session)."""


class RateLimitedError(QualtricsError):
    """429 after every retry: too many requests for this token."""

    hint = "wait a minute and try again"
    retry_after: float | None = None


class ServerError(QualtricsError):
    """5xx after every retry."""

    hint = "Qualtrics is having trouble; try again later"


class ConnectionFailedError(QualtricsError):
    """Qualtrics could not be reached at all (DNS, refused connection, timeout)."""


class UnexpectedResponseError(QualtricsError):
    """Qualtrics answered, but not in the shape we expect."""


class ConfigurationError(QualtricsError):
    """qtui is not set up to talk to Qualtrics (missing base URL or token)."""


def _path(url: str) -> str:
    marker = url.find("/API/v3")
    path = url[marker + len("/API/v3") :] if marker >= 0 else url
    return path.split("?", 1)[0] or "/"

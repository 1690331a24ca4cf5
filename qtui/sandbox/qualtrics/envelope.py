"""The Qualtrics v3 response envelope and the sandbox's error codes.

Success: `{"result": ..., "meta": {"httpStatus": "200 - OK", "requestId": ...}}`.
Error:   `{"meta": {"httpStatus": "400 - Bad Request", "requestId": ..., "error":
          {"errorMessage": ..., "errorCode": ...}}}`.
The codes are listed in docs/qualtrics-sandbox.md; only `AUTH_6.0` is taken from Qualtrics' spec.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse

AUTH = "AUTH_6.0"
BAD_REQUEST = "QVAL_1"
BAD_COMBINATION = "QVAL_2"
UNKNOWN_REFERENCE = "QVAL_3"
BAD_FLOW = "QVAL_4"
NOT_FOUND = "GS_1"
RATE_LIMITED = "RATE_1"
SERVER = "SERVER_1"
SESSION_UNAVAILABLE = "SESS_1"
SESSION_UNSUPPORTED_TYPES = "SESS_2"
SESSION_NOT_ON_PAGE = "SESS_3"
SESSION_FORCE_RESPONSE = "SESS_4"
SESSION_ADVANCE_AND_CLOSE = "SESS_5"
SESSION_FINISHED = "SESS_6"
SESSION_BAD_ANSWER = "SESS_7"


def http_status(code: int) -> str:
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = "Unknown"
    return f"{code} - {phrase}"


class ApiError(Exception):
    """Raised anywhere in a handler; becomes the error envelope with this status."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def bad_request(message: str, code: str = BAD_REQUEST) -> ApiError:
    return ApiError(400, code, message)


def not_found(what: str) -> ApiError:
    return ApiError(404, NOT_FOUND, f"{what} was not found.")


def success(result: Any, request_id: str, status: int = 200) -> JSONResponse:
    body: dict[str, Any] = {"meta": {"httpStatus": http_status(status), "requestId": request_id}}
    if result is not None:
        body["result"] = result
    return JSONResponse(body, status_code=status)


def failure(error: ApiError, request_id: str) -> JSONResponse:
    body = {
        "meta": {
            "httpStatus": http_status(error.status),
            "requestId": request_id,
            "error": {"errorMessage": error.message, "errorCode": error.code},
        }
    }
    return JSONResponse(body, status_code=error.status, headers=error.headers)

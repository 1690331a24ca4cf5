"""`QualtricsClient`: async httpx client for Qualtrics v3 survey definitions and sessions.

Sends `X-API-TOKEN`, unwraps the `{result, meta}` envelope, raises typed errors
(`qtui.qualtrics.errors`), retries 429 (honouring `Retry-After`) and 5xx with exponential
backoff and jitter, never other 4xx.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

import httpx
from pydantic import BaseModel, ValidationError

from qtui.qualtrics.errors import (
    ConfigurationError,
    ConnectionFailedError,
    QualtricsError,
    UnexpectedResponseError,
)
from qtui.qualtrics.payloads import BlockCreated, SessionState, SurveyCreated, VersionMetadata

API_PREFIX = "/API/v3"
ENV_BASE_URL = "QTUI_QUALTRICS_BASE_URL"
ENV_TOKEN = "QTUI_QUALTRICS_TOKEN"
# A Retry-After longer than this is not waited out; the error is raised instead.
MAX_RETRY_AFTER = 120.0
_IDEMPOTENT = {"GET", "PUT", "DELETE", "HEAD"}


@dataclass(frozen=True)
class RetryInfo:
    """Told to `on_retry` before each wait: what failed and how long we wait."""

    method: str
    url: str
    attempt: int  # 1 for the first retry
    status: int | None  # None when the request did not get an answer
    delay: float
    reason: str


def api_base(url: str) -> str:
    """`https://iad1.qualtrics.com` or `.../API/v3[/]` → `https://iad1.qualtrics.com/API/v3`."""
    url = url.strip().rstrip("/")
    if not url:
        raise ConfigurationError(
            f"No Qualtrics base URL: set {ENV_BASE_URL} (e.g. https://iad1.qualtrics.com)"
        )
    if "://" not in url:
        url = f"https://{url}"
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


class QualtricsClient:
    """One Qualtrics account (base URL + API token). Use as `async with QualtricsClient(...)`."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        max_retries: int = 5,
        transport: httpx.AsyncBaseTransport | None = None,
        on_retry: Callable[[RetryInfo], None] | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
    ) -> None:
        if not token:
            raise ConfigurationError(f"No Qualtrics API token: set {ENV_TOKEN}")
        self.base_url = api_base(base_url)
        self.max_retries = max_retries
        self.on_retry = on_retry
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.requests_sent = 0
        self.retries = 0
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"X-API-TOKEN": token, "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Self:
        env = os.environ if environ is None else environ
        base_url = env.get(ENV_BASE_URL, "")
        token = env.get(ENV_TOKEN, "")
        if not base_url:
            raise ConfigurationError(
                f"No Qualtrics base URL: set {ENV_BASE_URL} (e.g. https://iad1.qualtrics.com)"
            )
        if not token:
            raise ConfigurationError(f"No Qualtrics API token: set {ENV_TOKEN}")
        return cls(base_url, token, **kwargs)

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> Self:
        """From any object with `.qualtrics.base_url` and `.qualtrics.token` (qtui.config)."""
        section = getattr(settings, "qualtrics", None)
        base_url = getattr(section, "base_url", None) or ""
        token = getattr(section, "token", None) or ""
        # pydantic SecretStr keeps the token out of logs; unwrap it only here.
        if hasattr(token, "get_secret_value"):
            token = token.get_secret_value()
        if not base_url:
            raise ConfigurationError(
                f"No Qualtrics base URL: set {ENV_BASE_URL} (e.g. https://iad1.qualtrics.com)"
            )
        return cls(str(base_url), str(token), **kwargs)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- transport -------------------------------------------------------------------------

    def _delay(self, attempt: int) -> float:
        """Exponential backoff with jitter: base·2^(n-1), capped, scaled by 0.5–1."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return ceiling * (0.5 + random.random() / 2)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one call (retrying as needed) and return its `result` (None when absent)."""
        method = method.upper()
        attempt = 0
        while True:
            url = path if path.startswith(("http://", "https://")) else self.base_url + path
            try:
                self.requests_sent += 1
                response = await self._http.request(method, url, json=json, params=params)
            except httpx.TransportError as exc:
                retryable = isinstance(exc, httpx.ConnectError) or method in _IDEMPOTENT
                if not retryable or attempt >= self.max_retries:
                    raise ConnectionFailedError(
                        f"Could not reach Qualtrics at {self.base_url} ({type(exc).__name__}): "
                        f"check {ENV_BASE_URL} and the network",
                        method=method,
                        url=url,
                    ) from exc
                attempt += 1
                await self._wait(
                    method, url, attempt, None, self._delay(attempt), type(exc).__name__
                )
                continue
            if response.status_code < 400:
                return self._result(response, method, url)
            error = self._error(response, method, url)
            retry_after = getattr(error, "retry_after", None)
            retryable = response.status_code == 429 or response.status_code >= 500
            if not retryable or attempt >= self.max_retries:
                raise error
            if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                raise error
            attempt += 1
            delay = retry_after if retry_after is not None else self._delay(attempt)
            await self._wait(method, url, attempt, response.status_code, delay, error.error_message)

    async def _wait(
        self, method: str, url: str, attempt: int, status: int | None, delay: float, reason: str
    ) -> None:
        self.retries += 1
        if self.on_retry is not None:
            self.on_retry(RetryInfo(method, url, attempt, status, delay, reason))
        await asyncio.sleep(delay)

    def _result(self, response: httpx.Response, method: str, url: str) -> Any:
        if not response.content:
            return None
        try:
            body = response.json()
        except ValueError as exc:
            raise UnexpectedResponseError(
                f"Qualtrics answered {method} {url} with something that is not JSON "
                f"({response.status_code}); check {ENV_BASE_URL} points at the API",
                status=response.status_code,
                method=method,
                url=url,
            ) from exc
        if not isinstance(body, dict):
            raise UnexpectedResponseError(
                f"Qualtrics answered {method} {url} without the {{result, meta}} envelope",
                status=response.status_code,
                method=method,
                url=url,
            )
        return body.get("result")

    def _error(self, response: httpx.Response, method: str, url: str) -> QualtricsError:
        code: str | None = None
        message = response.reason_phrase or "error"
        request_id: str | None = None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("meta"), dict):
            meta = body["meta"]
            request_id = meta.get("requestId")
            error = meta.get("error")
            if isinstance(error, dict):
                code = error.get("errorCode")
                message = str(error.get("errorMessage") or message)
        elif response.text.strip():
            message = response.text.strip().splitlines()[0][:200]
        return QualtricsError.from_response(
            response.status_code,
            code,
            message,
            request_id=request_id,
            method=method,
            url=url,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )

    async def paginate(
        self, path: str, params: Mapping[str, str] | None = None
    ) -> AsyncIterator[Any]:
        """Every element of a list endpoint, following `nextPage` URLs until there is none."""
        result = await self.request("GET", path, params=params)
        while True:
            if not isinstance(result, dict):
                return
            for element in result.get("elements") or []:
                yield element
            next_page = result.get("nextPage")
            if not next_page:
                return
            result = await self.request("GET", str(next_page))

    @staticmethod
    def _parse(model: type[BaseModel], value: Any, what: str) -> Any:
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "result"
            raise UnexpectedResponseError(
                f"Qualtrics' {what} result is missing or has a bad {where}: {first['msg']}"
            ) from exc

    # --- survey definitions ----------------------------------------------------------------

    async def create_survey(
        self, name: str, *, language: str = "EN", project_category: str = "CORE"
    ) -> SurveyCreated:
        body = {"SurveyName": name, "Language": language, "ProjectCategory": project_category}
        return self._parse(
            SurveyCreated,
            await self.request("POST", "/survey-definitions", json=body),
            "create survey",
        )

    async def import_qsf(self, document: Mapping[str, Any]) -> SurveyCreated:
        """Create a survey from a QSF document (POST /survey-definitions with the QSF)."""
        return self._parse(
            SurveyCreated,
            await self.request("POST", "/survey-definitions", json=document),
            "import survey",
        )

    async def get_definition(self, survey_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/survey-definitions/{survey_id}") or {}

    async def delete_survey(self, survey_id: str) -> None:
        await self.request("DELETE", f"/survey-definitions/{survey_id}")

    async def get_metadata(self, survey_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/survey-definitions/{survey_id}/metadata") or {}

    async def update_metadata(self, survey_id: str, **fields: Any) -> None:
        await self.request("PUT", f"/survey-definitions/{survey_id}/metadata", json=fields)

    async def set_active(self, survey_id: str, active: bool = True) -> None:
        await self.update_metadata(survey_id, SurveyStatus="Active" if active else "Inactive")

    async def list_surveys(self) -> list[dict[str, Any]]:
        return [s async for s in self.paginate("/surveys")]

    async def create_question(
        self, survey_id: str, question: Mapping[str, Any], *, block_id: str | None = None
    ) -> str:
        params = {"blockId": block_id} if block_id else None
        result = await self.request(
            "POST", f"/survey-definitions/{survey_id}/questions", json=question, params=params
        )
        if not isinstance(result, dict) or not isinstance(result.get("QuestionID"), str):
            raise UnexpectedResponseError("Qualtrics' create question result has no QuestionID")
        return result["QuestionID"]

    async def get_question(self, survey_id: str, question_id: str) -> dict[str, Any]:
        return (
            await self.request("GET", f"/survey-definitions/{survey_id}/questions/{question_id}")
            or {}
        )

    async def list_questions(self, survey_id: str) -> list[dict[str, Any]]:
        path = f"/survey-definitions/{survey_id}/questions"
        result = await self.request("GET", path)
        # The spec returns the questions in one go (a list or a map); the sandbox pages them.
        if isinstance(result, list):
            return result
        if isinstance(result, dict) and "elements" in result:
            questions = list(result.get("elements") or [])
            next_page = result.get("nextPage")
            while next_page:
                page = await self.request("GET", str(next_page)) or {}
                questions.extend(page.get("elements") or [])
                next_page = page.get("nextPage")
            return questions
        if isinstance(result, dict):
            return [{"QuestionID": k, **v} for k, v in result.items() if isinstance(v, dict)]
        return []

    async def update_question(
        self, survey_id: str, question_id: str, question: Mapping[str, Any]
    ) -> None:
        await self.request(
            "PUT", f"/survey-definitions/{survey_id}/questions/{question_id}", json=question
        )

    async def delete_question(self, survey_id: str, question_id: str) -> None:
        await self.request("DELETE", f"/survey-definitions/{survey_id}/questions/{question_id}")

    async def create_block(self, survey_id: str, block: Mapping[str, Any]) -> BlockCreated:
        result = await self.request("POST", f"/survey-definitions/{survey_id}/blocks", json=block)
        return self._parse(BlockCreated, result, "create block")

    async def get_block(self, survey_id: str, block_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/survey-definitions/{survey_id}/blocks/{block_id}") or {}

    async def update_block(self, survey_id: str, block_id: str, block: Mapping[str, Any]) -> None:
        await self.request("PUT", f"/survey-definitions/{survey_id}/blocks/{block_id}", json=block)

    async def delete_block(self, survey_id: str, block_id: str) -> None:
        await self.request("DELETE", f"/survey-definitions/{survey_id}/blocks/{block_id}")

    async def get_flow(self, survey_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/survey-definitions/{survey_id}/flow") or {}

    async def put_flow(self, survey_id: str, flow: Mapping[str, Any]) -> None:
        await self.request("PUT", f"/survey-definitions/{survey_id}/flow", json=flow)

    async def publish(
        self, survey_id: str, description: str = "Published by qtui"
    ) -> VersionMetadata:
        body = {"Description": description, "Published": True}
        result = await self.request("POST", f"/survey-definitions/{survey_id}/versions", json=body)
        metadata = result.get("metadata") if isinstance(result, dict) else None
        return self._parse(VersionMetadata, metadata, "publish")

    async def list_versions(self, survey_id: str) -> list[dict[str, Any]]:
        return [v async for v in self.paginate(f"/survey-definitions/{survey_id}/versions")]

    # --- sessions and responses ------------------------------------------------------------

    async def start_session(
        self,
        survey_id: str,
        *,
        language: str = "EN",
        embedded_data: Mapping[str, Any] | None = None,
    ) -> SessionState:
        body: dict[str, Any] = {"language": language}
        if embedded_data:
            body["embeddedData"] = dict(embedded_data)
        result = await self.request("POST", f"/surveys/{survey_id}/sessions", json=body)
        return self._parse(SessionState, result, "start session")

    async def get_session(self, survey_id: str, session_id: str) -> SessionState:
        result = await self.request("GET", f"/surveys/{survey_id}/sessions/{session_id}")
        return self._parse(SessionState, result, "get session")

    async def update_session(
        self,
        survey_id: str,
        session_id: str,
        *,
        responses: Mapping[str, Any] | None = None,
        advance: bool = False,
        close: bool = False,
        embedded_data: Mapping[str, Any] | None = None,
    ) -> SessionState:
        """Answer, advance or close; returns the session state after the update.

        Qualtrics' documented example answers an update with an empty `result`; then the state
        is read back with a GET.
        """
        body: dict[str, Any] = {}
        if responses is not None:
            body["responses"] = dict(responses)
        if advance:
            body["advance"] = True
        if close:
            body["close"] = True
        if embedded_data:
            body["embeddedData"] = dict(embedded_data)
        result = await self.request(
            "POST", f"/surveys/{survey_id}/sessions/{session_id}", json=body
        )
        if not isinstance(result, dict) or ("done" not in result and "questions" not in result):
            return await self.get_session(survey_id, session_id)
        return self._parse(SessionState, result, "update session")

    async def delete_session(self, survey_id: str, session_id: str) -> None:
        await self.request("DELETE", f"/surveys/{survey_id}/sessions/{session_id}")

    async def get_response(self, survey_id: str, response_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/surveys/{survey_id}/responses/{response_id}") or {}


def _retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())

"""Event subscriptions in the Qualtrics sandbox: `/API/v3/eventsubscriptions` and callbacks.

Create takes Qualtrics' body — `{"topics": "surveyengine.completedResponse.SV_…",
"publicationUrl": "https://…", "encrypt": false}` — and answers `{"result": {"id": "SUB_…"}}`.
When a session starts, or a response is recorded, every subscription whose topic matches
gets a form-encoded POST with the fields Qualtrics documents for that topic:

    surveyengine.startedRecipientSession.{SurveyID}  Status=Started, RecipientID, StartedDate
    surveyengine.partialResponse.{SurveyID}          Status=Partial, ResponseID, CompletedDate
    surveyengine.completedResponse.{SurveyID}        Status=Complete, ResponseID, CompletedDate

(all with Topic, SurveyID, BrandID). A topic ending in `*` matches any survey. A callback
answered with anything but 2xx is sent again a few times; `encrypt: true` is accepted and
recorded, but callbacks are always sent in clear (Qualtrics' encryption is not documented).
Deliveries run in the background; `drain()` waits for them (tests, the simulator).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from qtui.sandbox.qualtrics.envelope import bad_request, not_found
from qtui.sandbox.qualtrics.store import BRAND_ID, mysql_now

TOPIC_KINDS = (
    "surveyengine.startedRecipientSession",
    "surveyengine.partialResponse",
    "surveyengine.completedResponse",
)


@dataclass
class Subscription:
    id: str
    topics: str
    publication_url: str
    encrypt: bool
    successful_calls: int = 0

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": "organization",
            "topics": self.topics,
            "publicationUrl": self.publication_url,
            "encrypt": self.encrypt,
            "successfulCalls": self.successful_calls,
        }

    def matches(self, topic: str) -> bool:
        return any(_topic_matches(pattern.strip(), topic) for pattern in self.topics.split(","))


def _topic_matches(pattern: str, topic: str) -> bool:
    if pattern.endswith("*"):
        return topic.startswith(pattern[:-1])
    return pattern == topic


@dataclass
class Callback:
    subscription_id: str
    url: str
    fields: dict[str, str]
    attempts: int = 0
    status: int | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class EventSubscriptions:
    """The subscriptions of one sandbox and the callbacks they have sent."""

    attempts: int = 4
    backoff_s: float = 0.2
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    callbacks: list[Callback] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _client: httpx.AsyncClient | None = None
    _count: int = 0

    # -- the API ------------------------------------------------------------------------

    def create(self, body: object) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        topics = body.get("topics")
        url = body.get("publicationUrl")
        encrypt = body.get("encrypt", False)
        if not isinstance(topics, str) or not topics.strip():
            raise bad_request(
                "topics is required, e.g. surveyengine.completedResponse.SV_… (a string)."
            )
        for pattern in topics.split(","):
            kind = pattern.strip().rsplit(".", 1)[0]
            if kind not in TOPIC_KINDS:
                raise bad_request(
                    f"Unknown topic {pattern.strip()!r}; the sandbox publishes "
                    + ", ".join(f"{k}.{{SurveyID}}" for k in TOPIC_KINDS)
                    + "."
                )
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise bad_request("publicationUrl is required and must be an http(s) URL.")
        if not isinstance(encrypt, bool):
            raise bad_request("encrypt must be true or false.")
        self._count += 1
        sub_id = f"SUB_{self._count:015d}"
        self.subscriptions[sub_id] = Subscription(sub_id, topics.strip(), url, encrypt)
        return {"id": sub_id}

    def list(self) -> list[dict[str, Any]]:
        return [s.view() for s in self.subscriptions.values()]

    def get(self, sub_id: str) -> dict[str, Any]:
        return self._find(sub_id).view()

    def delete(self, sub_id: str) -> None:
        self._find(sub_id)
        del self.subscriptions[sub_id]

    def _find(self, sub_id: str) -> Subscription:
        found = self.subscriptions.get(sub_id)
        if found is None:
            raise not_found(f"Event subscription {sub_id}")
        return found

    # -- publishing ---------------------------------------------------------------------

    def started(self, survey_id: str, recipient_id: str, started: str) -> None:
        self._publish(
            "surveyengine.startedRecipientSession",
            survey_id,
            {"Status": "Started", "RecipientID": recipient_id, "StartedDate": started},
        )

    def recorded(self, response: Mapping[str, Any], recipient_id: str, survey_id: str) -> None:
        """A recorded response (Responses API shape, which does not name its survey):
        `completedResponse` if finished, else `partialResponse`."""
        values = response.get("values") or {}
        finished = values.get("finished") in (1, True, "1", "true")
        kind = "surveyengine.completedResponse" if finished else "surveyengine.partialResponse"
        self._publish(
            kind,
            survey_id,
            {
                "Status": "Complete" if finished else "Partial",
                "ResponseID": str(response["responseId"]),
                "RecipientID": recipient_id,
                "CompletedDate": mysql_now(),
            },
        )

    def _publish(self, kind: str, survey_id: str, fields: dict[str, str]) -> None:
        topic = f"{kind}.{survey_id}"
        form = {"Topic": topic, **fields, "SurveyID": survey_id, "BrandID": BRAND_ID}
        for sub in list(self.subscriptions.values()):
            if sub.matches(topic):
                callback = Callback(sub.id, sub.publication_url, form)
                self.callbacks.append(callback)
                task = asyncio.get_running_loop().create_task(self._deliver(sub, callback))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _deliver(self, sub: Subscription, callback: Callback) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=5.0)
        for attempt in range(self.attempts):
            callback.attempts = attempt + 1
            try:
                answer = await self._client.post(callback.url, data=callback.fields)
                callback.status = answer.status_code
            except httpx.TransportError:
                callback.status = None
            if callback.delivered:
                sub.successful_calls += 1
                return
            await asyncio.sleep(self.backoff_s * (2**attempt))

    async def drain(self) -> None:
        """Wait until every callback scheduled so far has been delivered or given up."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

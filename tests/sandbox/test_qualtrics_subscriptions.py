"""The Qualtrics sandbox's /eventsubscriptions and the callbacks it posts, over loopback."""

from __future__ import annotations

import urllib.parse

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from qtui.qualtrics.client import QualtricsClient
from qtui.qualtrics.errors import BadRequestError, NotFoundError
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.serving import serving


class Receiver:
    """A callback endpoint that fails the first `fail` posts, then records the forms."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.forms: list[dict[str, str]] = []
        self.content_types: list[str] = []

    async def hook(self, request: Request) -> PlainTextResponse:
        if self.fail:
            self.fail -= 1
            return PlainTextResponse("busy", status_code=503)
        body = (await request.body()).decode()
        self.forms.append(dict(urllib.parse.parse_qsl(body)))
        self.content_types.append(request.headers.get("content-type", ""))
        return PlainTextResponse("ok")


@pytest.fixture
def sandbox() -> QualtricsSandbox:
    box = QualtricsSandbox()
    box.subscriptions.backoff_s = 0.01
    return box


async def test_create_list_get_delete_with_the_real_body(sandbox):
    app = Starlette(routes=[Mount("/API/v3", app=sandbox.app)])
    async with serving(app) as server, QualtricsClient(server.url, sandbox.token) as client:
        created = await client.request(
            "POST",
            "/eventsubscriptions/",
            json={
                "topics": "surveyengine.completedResponse.SV_abc",
                "publicationUrl": "https://relay.example/hooks/qualtrics?secret=s",
                "encrypt": False,
            },
        )
        sub_id = created["id"]
        assert sub_id.startswith("SUB_")
        got = await client.request("GET", f"/eventsubscriptions/{sub_id}")
        assert got["topics"] == "surveyengine.completedResponse.SV_abc"
        assert got["publicationUrl"].endswith("?secret=s")
        assert got["encrypt"] is False
        listed = [e async for e in client.paginate("/eventsubscriptions")]
        assert [e["id"] for e in listed] == [sub_id]
        await client.request("DELETE", f"/eventsubscriptions/{sub_id}")
        with pytest.raises(NotFoundError):
            await client.request("GET", f"/eventsubscriptions/{sub_id}")
        with pytest.raises(BadRequestError, match="publicationUrl"):
            await client.request(
                "POST",
                "/eventsubscriptions",
                json={"topics": "surveyengine.completedResponse.SV_a"},
            )
        with pytest.raises(BadRequestError, match="Unknown topic"):
            await client.request(
                "POST",
                "/eventsubscriptions",
                json={"topics": "controlpanel.nothing", "publicationUrl": "http://x/"},
            )


async def test_callbacks_are_form_posts_retried_until_2xx(sandbox):
    receiver = Receiver(fail=2)
    hook_app = Starlette(routes=[Route("/hook", receiver.hook, methods=["POST"])])
    async with serving(hook_app) as hooks:
        sandbox.subscriptions.create(
            {"topics": "surveyengine.completedResponse.*", "publicationUrl": f"{hooks.url}/hook"}
        )
        sandbox.subscriptions.recorded(
            {"responseId": "R_1", "values": {"finished": 1}}, "MLRP_1", "SV_abc"
        )
        sandbox.subscriptions.recorded(
            {"responseId": "R_2", "values": {"finished": 0}}, "MLRP_2", "SV_abc"
        )
        sandbox.subscriptions.started("SV_abc", "MLRP_3", "2026-11-25 14:00:00")
        await sandbox.subscriptions.drain()
    # Only the completed response matches the subscription's topic.
    [form] = receiver.forms
    assert form["Topic"] == "surveyengine.completedResponse.SV_abc"
    assert form["Status"] == "Complete"
    assert (form["SurveyID"], form["ResponseID"], form["RecipientID"]) == (
        "SV_abc",
        "R_1",
        "MLRP_1",
    )
    assert form["BrandID"] and form["CompletedDate"]
    assert receiver.content_types == ["application/x-www-form-urlencoded"]
    [callback] = sandbox.subscriptions.callbacks
    assert callback.attempts == 3 and callback.delivered

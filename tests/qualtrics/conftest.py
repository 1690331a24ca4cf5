"""Fixtures: a Qualtrics sandbox served by a real uvicorn on loopback, and a client for it."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from qtui.qualtrics.client import QualtricsClient
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.serving import serving


def mount(sandbox: QualtricsSandbox) -> Starlette:
    return Starlette(routes=[Mount("/API/v3", app=sandbox.app)])


@pytest.fixture
def sandbox() -> QualtricsSandbox:
    return QualtricsSandbox()


@pytest.fixture
async def server(sandbox: QualtricsSandbox):
    async with serving(mount(sandbox)) as running:
        yield running


@pytest.fixture
async def client(sandbox: QualtricsSandbox, server):
    async with QualtricsClient(server.url, sandbox.token, backoff_base=0.01) as qualtrics:
        yield qualtrics

"""The whole live pipeline over loopback: sandbox → signed webhooks → relay → subscriber → store."""

import asyncio

from qtui.core.events import parse_event
from qtui.core.store import SurveyStore
from qtui.demo import start_demo
from qtui.questra.client import QuestraClient
from qtui.relay.subscriber import RelaySubscriber

COMPARED_PAGE_FIELDS = ("id", "name", "order", "assign_response_status")


def shape(survey: dict) -> dict:
    """What the live tree shows: pages in order with their blocks, rules and the variables."""
    pages = sorted(survey["pages"], key=lambda p: (p["order"], p["id"]))
    return {
        "status": survey.get("status"),
        "target_platform": survey.get("target_platform"),
        "pages": [
            {
                **{k: page.get(k) for k in COMPARED_PAGE_FIELDS},
                "done": page.get("programming_completed_at") is not None,
                "blocks": [
                    (b["id"], b["config"])
                    for b in sorted(page["blocks"], key=lambda b: (b["order"], b["id"]))
                ],
                "rules": sorted(
                    (r["id"], r["target_page_id"], r.get("condition"))
                    for r in page.get("navigation_rules", [])
                ),
            }
            for page in pages
        ],
        "variables": sorted((v["id"], v["name"], v.get("expression")) for v in survey["variables"]),
    }


async def follow_until_reviewing(demo, store: SurveyStore, until_seq: int = 0) -> int:
    async with RelaySubscriber(demo.relay_ws_url, survey=demo.survey_id) as sub:
        async for frame in sub:
            assert frame["verified"] is True
            store.apply(parse_event(frame["envelope"]))
            reviewing = store.progress(demo.survey_id).status == "reviewing"
            if reviewing and frame["seq"] >= until_seq:
                return frame["seq"]
    raise AssertionError("stream ended before the survey reached reviewing")


async def test_live_stream_rebuilds_exactly_the_survey_the_sandbox_programmed():
    demo = await start_demo(speed=200, questionnaire="screener")
    try:
        store = SurveyStore()
        await asyncio.wait_for(follow_until_reviewing(demo, store), timeout=60)
        async with QuestraClient(demo.questra_url, demo.api_key, demo.org_id) as client:
            truth = await client.get_survey(demo.survey_id)
        mine = store.survey(demo.survey_id).dump()
        assert shape(mine) == shape(truth)
        assert len(mine["pages"]) >= 25
        progress = store.progress(demo.survey_id)
        assert progress.pages_done == progress.pages_total
        assert progress.job is not None and progress.job.status == "completed"
    finally:
        await demo.close()


async def test_snapshot_first_then_the_whole_stream_converges_to_the_same_tree():
    demo = await start_demo(speed=200, questionnaire="csat")
    try:
        first = SurveyStore()
        last = await asyncio.wait_for(follow_until_reviewing(demo, first), timeout=60)
        async with QuestraClient(demo.questra_url, demo.api_key, demo.org_id) as client:
            snapshot = await client.get_survey(demo.survey_id)
        second = SurveyStore()
        second.load(snapshot)
        await asyncio.wait_for(follow_until_reviewing(demo, second, until_seq=last), timeout=60)
        assert shape(second.survey(demo.survey_id).dump()) == shape(
            first.survey(demo.survey_id).dump()
        )
        assert second.progress(demo.survey_id) == first.progress(demo.survey_id)
    finally:
        await demo.close()

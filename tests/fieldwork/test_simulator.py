"""A simulated fieldwork run: every figure equals what the platforms recorded."""

from __future__ import annotations

from collections import Counter
from typing import Any

from qtui.core.fieldwork import FieldworkTally, survey_shape
from qtui.fieldwork.feed import fetch_details, read_log
from qtui.sandbox.fieldwork import FieldworkPlan, FieldworkSimulator
from qtui.sandbox.qualtrics import QualtricsSandbox


def recorded_dispositions(sandbox: QualtricsSandbox, survey_id: str) -> Counter[str]:
    """The sandbox's own record, read independently of qtui.core.fieldwork."""
    counts: Counter[str] = Counter()
    for session in sandbox.sessions.values():
        if session.survey_id != survey_id:
            continue
        response = sandbox.responses.get(session.response_id or "")
        if response is None:
            counts["in_progress"] += 1
            continue
        values: dict[str, Any] = response["values"]
        flag = values.get("Q_TerminateFlag")
        if values.get("finished") in (0, False):
            counts["partial"] += 1
        elif flag == "QuotaMet":
            counts["over_quota"] += 1
        elif flag or response.get("endReason") == "Screenout":
            counts["screened_out"] += 1
        else:
            counts["completed"] += 1
    return counts


async def test_fieldwork_totals_equal_the_sandbox_record(field):
    plan = FieldworkPlan(drop=0.08, abandon_share=0.4, incident=0.3, blacklist=0.15)
    simulator = FieldworkSimulator(
        field.qualtrics, field.survey_id, plan=plan, seed=1, emitter=field.emitter
    )
    # Each respondent draws from its own seeded generator, so this run is the same every time;
    # seed 1 gives every kind of ending.
    walks = await simulator.run(count=40, rate=400)
    await field.sandbox.subscriptions.drain()
    assert not [w.error for w in walks if w.error]

    tally = FieldworkTally(survey_shape(field.survey, field.definition))
    await read_log(field.relay.url, field.survey_id, tally)
    assert await fetch_details(tally, field.qualtrics) > 0
    figures = tally.figures()

    expected = recorded_dispositions(field.sandbox, field.survey_id)
    got = {
        "completed": figures.completed,
        "screened_out": figures.screened_out,
        "over_quota": figures.over_quota,
        "partial": figures.partial,
        "in_progress": figures.in_progress,
    }
    assert got == {k: expected[k] for k in got}
    assert figures.started == len(field.sandbox.sessions) == 40
    # The run had every kind of ending, so the comparison above means something.
    assert figures.completed and figures.screened_out and figures.partial and figures.in_progress

    incidents = [w.incident_id for w in walks if w.incident_id]
    assert incidents and {i.id for i in figures.incidents} == set(incidents)
    assert all(i.status == "opened" and len(i.comments) == 1 for i in figures.incidents)
    blacklisted = [d for d in field.emitter.deliveries if d.event_type == "blacklist_item.created"]
    assert figures.blacklisted == len(blacklisted) > 0

    # Pages: what each recorded response was shown, mapped to Questra pages through the
    # push's own record of which QID each Questra block became.
    page_of_qid = {
        field.push_state.target.questions[b.id]: b.page_id
        for b in field.survey.blocks()
        if b.id in field.push_state.target.questions
    }
    reached: Counter[str] = Counter()
    for response in field.sandbox.responses.values():
        reached.update({page_of_qid[q] for q in response["displayedFields"]})
    assert {p.page_id: p.reached for p in figures.pages if p.reached} == dict(reached)
    assert figures.pages[0].reached == len(field.sandbox.responses)
    partial_with_pages = [
        r
        for r in field.sandbox.responses.values()
        if r["values"]["finished"] == 0 and r["displayedFields"]
    ]
    assert sum(p.dropped for p in figures.pages) == len(partial_with_pages) == figures.partial
    incidence = (figures.completed + figures.over_quota) / (
        figures.completed + figures.over_quota + figures.screened_out
    )
    assert figures.incidence == incidence

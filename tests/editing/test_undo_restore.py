"""Undo of a page delete against the real Questra sandbox and relay on loopback: the page
comes back with its blocks (same order, configs and reference names), its rules and the
rules of other pages that led to it; redo deletes it again; a restore that stops half-way
says what came back and resumes with `u`."""

from __future__ import annotations

from typing import Any

from qtui.core.models import reference_names
from qtui.core.routes import route
from qtui.core.validation import known_names, unknown_names
from qtui.sandbox.questra.org import Emitted
from qtui.tui.app import QtuiApp
from tests.tui.conftest import settle, until
from tests.tui.edit_helpers import until_screen
from tests.tui.test_edit_live import demo_app, finished


async def _page_with_everything(pilot: Any, app: QtuiApp, client: Any) -> Any:
    """ "Brand evaluation": three blocks (a Loop listing the two after it), a rule from
    "Light viewing" into it; given a rule of its own to "Brand attributes" here."""
    store, survey_id = app.store, app.survey_id or ""
    page = next(p for p in store.pages(survey_id) if p.name == "Brand evaluation")
    target = next(p for p in store.pages(survey_id) if p.name == "Brand attributes")
    rule = await client.create_rule(page.id, target.id, "is_heavy_viewer")
    await until(pilot, lambda: app.store.rule(rule["id"]) is not None, rounds=1000)
    await settle(pilot, app)
    return page


def _shape(app: QtuiApp, page_id: str) -> dict[str, Any]:
    """What must come back, written without ids (the server gives new ones)."""
    store, survey_id = app.store, app.survey_id or ""
    survey = store.survey(survey_id)
    assert survey is not None
    names = reference_names(survey)
    pages = {p.id: p.name for p in store.pages(survey_id)}
    page = store.page(page_id)
    return {
        "page": (page.name, page.order, page.assign_response_status),
        "blocks": [
            (b.order, _by_name(app, b.config.dump()), names.get(b.id))
            for b in store.blocks(page_id)
        ],
        "rules": [
            (pages.get(r.target_page_id or ""), r.condition, r.order) for r in store.rules(page_id)
        ],
        "incoming": sorted(
            (pages[other.id], r.condition, r.order)
            for other in store.pages(survey_id)
            if other.id != page_id
            for r in store.rules(other.id)
            if r.target_page_id == page_id
        ),
        "names": sorted(names.values()),
    }


def _by_name(app: QtuiApp, config: dict[str, Any]) -> dict[str, Any]:
    """A block's config, a Loop's listed blocks by name (their ids change when re-created)."""
    if config.get("type") != "Loop":
        return config
    return {**config, "blocks": [app.store.block(i).config.name for i in config["blocks"]]}


def _status(app: QtuiApp) -> str:
    return str(app.main.query_one("#status").render())


def _page_named(app: QtuiApp, name: str) -> Any:
    return next((p for p in app.store.pages(app.survey_id or "") if p.name == name), None)


async def _delete_page(pilot: Any, app: QtuiApp, page_id: str) -> str:
    app.go_to_item("page", page_id)
    await pilot.pause()
    await pilot.press("D")
    await until_screen(pilot, "ConfirmScreen")
    said = str(app.screen.query_one("#confirm-detail").render())
    await pilot.press("y")
    await until(pilot, lambda: app.store.page(page_id) is None, rounds=1000)
    return said


async def _all_confirmed(pilot: Any, app: QtuiApp) -> None:
    await until(pilot, lambda: not app.editing.pending.keys(), rounds=1500)
    await settle(pilot, app)


async def test_undo_of_a_page_delete_brings_back_its_blocks_rules_and_the_rules_into_it():
    async with demo_app() as (app, pilot, client):
        await finished(pilot, app)
        page = await _page_with_everything(pilot, app, client)
        shape = _shape(app, page.id)
        assert shape["blocks"] and shape["rules"] and shape["incoming"]
        (loop,) = [b for b in app.store.blocks(page.id) if b.type == "Loop"]
        assert set(loop.config.dump()["blocks"]) <= {b.id for b in app.store.blocks(page.id)}
        said = await _delete_page(pilot, app, page.id)
        blocks, rules, incoming = (len(shape[k]) for k in ("blocks", "rules", "incoming"))
        assert f"{blocks} block{'s' * (blocks != 1)} and {rules} rule{'s' * (rules != 1)}" in said
        into = "1 rule of another page leads" if incoming == 1 else f"{incoming} rules of other"
        assert into in said
        await _all_confirmed(pilot, app)
        full = await client.get_survey(app.survey_id or "")
        assert page.name not in [p["name"] for p in full["pages"]]
        # Questra deleted the rules into the page with it.
        assert not any(
            r["target_page_id"] == page.id for p in full["pages"] for r in p["navigation_rules"]
        )

        shown: list[str] = []  # the status bar's progress, each time it is redrawn
        redraw = app.refresh_status

        def spy() -> None:
            redraw()
            shown.extend(part for part in [_status(app)] if "restoring" in part)

        app.refresh_status = spy  # type: ignore[method-assign]
        await pilot.press("u")
        await until(pilot, lambda: _page_named(app, page.name) is not None, rounds=1000)
        await until(pilot, lambda: app.editing.activity == "", rounds=1500)
        await _all_confirmed(pilot, app)
        app.refresh_status = redraw  # type: ignore[method-assign]
        steps = 1 + len(shape["blocks"]) + len(shape["rules"]) + len(shape["incoming"])
        assert f"restoring page {page.name} 1/{steps}" in shown[0]
        assert f"restoring page {page.name} {steps}/{steps}" in shown[-1]
        back = _page_named(app, page.name)
        assert back.id != page.id
        assert _shape(app, back.id) == shape
        # Questra holds the same: every block, rule and rule into it, pointing at the new id.
        full = await client.get_survey(app.survey_id or "")
        (server_page,) = [p for p in full["pages"] if p["id"] == back.id]
        assert [_by_name(app, b["config"]) for b in server_page["blocks"]] == [
            c for _, c, _ in shape["blocks"]
        ]
        into = [
            r
            for p in full["pages"]
            if p["id"] != back.id
            for r in p["navigation_rules"]
            if r["target_page_id"] == back.id
        ]
        assert len(into) == len(shape["incoming"])

        await pilot.press("U")  # redo: deleted again, with what came back
        await until(pilot, lambda: app.store.page(back.id) is None, rounds=1000)
        await _all_confirmed(pilot, app)
        assert _page_named(app, page.name) is None
        await pilot.press("u")  # and back once more
        await until(pilot, lambda: _page_named(app, page.name) is not None, rounds=1000)
        await until(pilot, lambda: app.editing.activity == "", rounds=1500)
        await _all_confirmed(pilot, app)
        assert _shape(app, _page_named(app, page.name).id) == shape


async def test_a_restore_that_stops_half_way_says_what_came_back_and_u_resumes_it():
    async with demo_app() as (app, pilot, client):
        await finished(pilot, app)
        page = await _page_with_everything(pilot, app, client)
        shape = _shape(app, page.id)
        await _delete_page(pilot, app, page.id)
        await _all_confirmed(pilot, app)
        org = app.source.demo.sandbox.org  # type: ignore[attr-defined]
        # Someone starts programming the page as soon as it is back: Questra locks it, and
        # refuses the blocks meant for it until it is unlocked.
        relocked: list[str] = []

        def lock_it(emitted: Emitted) -> None:
            if emitted.event == "page.created" and emitted.envelope["data"]["name"] == page.name:
                org.pages[emitted.envelope["data"]["id"]]["locked"] = True
                relocked.append(emitted.envelope["data"]["id"])

        app.source.demo.sandbox.add_listener(lock_it)  # type: ignore[attr-defined]
        notes: list[str] = []
        real_notify = app.notify
        app.notify = lambda message, **kw: (notes.append(str(message)), real_notify(message, **kw))[
            1
        ]  # type: ignore[method-assign]
        await pilot.press("u")
        await until(pilot, lambda: any("stopped at step 2" in n for n in notes), rounds=1500)
        (note,) = [n for n in notes if "stopped" in n]
        assert f"restored {page.name}" in note or "restored page" in note
        assert f"not restored: {len(shape['blocks'])} blocks" in note
        assert "Press u to retry" in note
        assert "locked" in note
        new_id = relocked[0]
        org.pages[new_id]["locked"] = False
        await pilot.press("u")
        await until(pilot, lambda: app.editing.activity == "", rounds=1500)
        await until(
            pilot, lambda: len(app.store.blocks(new_id)) == len(shape["blocks"]), rounds=1500
        )
        await _all_confirmed(pilot, app)
        assert _page_named(app, page.name).id == new_id  # resumed: not created twice
        assert _shape(app, new_id) == shape


async def test_undo_of_a_block_delete_brings_back_its_name_so_the_rule_on_it_routes_again():
    async with demo_app() as (app, pilot, client):
        await finished(pilot, app)
        store, survey_id = app.store, app.survey_id or ""
        age = next(p for p in store.pages(survey_id) if p.name == "Age")
        (block,) = store.blocks(age.id)
        (rule,) = store.rules(age.id)
        config, order = block.config.dump(), block.order
        assert config["name"] == "q1" and "q1" in (rule.condition or "")

        def routes_under_18_out() -> bool:
            survey = store.survey(survey_id)
            walked = route(survey, {"q1": "under_18"})
            return not unknown_names(rule.condition, known_names(survey)) and (
                rule.id in walked.rule_ids and walked.pages[-1].name == "Terminate"
            )

        assert routes_under_18_out()
        app.go_to_item("block", block.id)
        await pilot.pause()
        await pilot.press("D")
        await until_screen(pilot, "ConfirmScreen")
        await pilot.press("y")
        await until(pilot, lambda: store.block(block.id) is None, rounds=1000)
        await _all_confirmed(pilot, app)
        assert unknown_names(rule.condition, known_names(store.survey(survey_id))) == ["q1"]
        assert not routes_under_18_out()
        await pilot.press("u")
        await until(pilot, lambda: len(store.blocks(age.id)) == 1, rounds=1000)
        await _all_confirmed(pilot, app)
        (back,) = store.blocks(age.id)
        assert back.id != block.id and (back.config.dump(), back.order) == (config, order)
        assert (await client.get_block(back.id))["config"] == config
        assert routes_under_18_out()
        await pilot.press("U")  # redo deletes the re-created block
        await until(pilot, lambda: store.block(back.id) is None, rounds=1000)

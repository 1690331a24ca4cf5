"""Moving a block to another page (`M`, type to filter, enter) against the real Questra
sandbox and relay: sent as the block update that changes `page_id`, pending until its
webhook comes back, and undone by moving it back where it was."""

from __future__ import annotations

from tests.tui.conftest import settle, until
from tests.tui.edit_helpers import until_screen
from tests.tui.test_edit_live import demo_app, finished


async def test_move_a_block_to_another_page_and_undo_puts_it_back():
    async with demo_app() as (app, pilot, client):
        await finished(pilot, app)
        store, survey_id = app.store, app.survey_id or ""
        gender = next(p for p in store.pages(survey_id) if p.name == "Gender")
        occupation = next(p for p in store.pages(survey_id) if p.name == "Occupation")
        block = store.blocks(gender.id)[0]
        order = block.order
        app.go_to_item("block", block.id)
        await pilot.pause()
        await pilot.press("M")
        await until_screen(pilot, "MoveToPageScreen")
        for key in "occup":
            await pilot.press(key)
        await pilot.pause()
        await pilot.press("enter")
        await until_screen(pilot, "MainScreen")
        await until(pilot, lambda: store.block(block.id).page_id == occupation.id, rounds=1000)
        assert [b.id for b in store.blocks(occupation.id)][-1] == block.id  # at the end
        await until(pilot, lambda: not app.editing.pending.keys(), rounds=1500)
        server = await client.get_block(block.id)
        assert server["page_id"] == occupation.id and server["id"] == block.id
        await settle(pilot, app)

        await pilot.press("u")
        await until(pilot, lambda: store.block(block.id).page_id == gender.id, rounds=1000)
        await until(pilot, lambda: not app.editing.pending.keys(), rounds=1500)
        server = await client.get_block(block.id)
        assert (server["page_id"], server["order"]) == (gender.id, order)
        assert store.blocks(gender.id)[0].id == block.id


async def test_only_a_block_moves_to_another_page():
    async with demo_app() as (app, pilot, _client):
        await finished(pilot, app)
        page = app.store.pages(app.survey_id or "")[0]
        app.go_to_item("page", page.id)
        await pilot.pause()
        await pilot.press("M")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"
        assert app.editing.sent == 0

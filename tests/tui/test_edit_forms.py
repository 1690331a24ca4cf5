"""Edit forms on a survey held in memory: valid saves reach the tree, invalid ones say why, cancel
changes nothing; add, delete, move, undo/redo; `qtui open` saves the file atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input
from textual.widgets._toast import Toast

from qtui.tui.screens.forms import BLOCK_TYPES
from tests.tui.conftest import make_app, quiet_settings, settle, until
from tests.tui.edit_helpers import (
    editable_screener,
    error_text,
    file_app,
    open_form,
    opened,
    pick,
    save_form,
    screener_file,
    type_into,
    until_screen,
)
from tests.tui.envelopes import SURVEY, screener_stream


async def test_block_form_saves_label_and_choices_to_the_tree(feed):
    async with editable_screener(feed) as (app, pilot):
        await open_form(pilot, "block", "b2", "enter", "BlockForm")
        await type_into(pilot, "#f-label", "Your age?")
        await type_into(
            pilot, "#f-choices", "1 = Under 18\n2 = 18 to 34\n3 = 35+\n9 = Rather not say"
        )
        await save_form(pilot)
        config = app.store.block("b2").config
        assert config.label == "Your age?"
        assert [(c.value, c.label) for c in config.choices][-1] == ("9", "Rather not say")
        app.tree.select_item("block", "b2")
        assert "Your age?" in str(app.tree.cursor_node.label)


async def test_a_repeated_value_is_named_by_the_line_it_was_typed_on_blank_lines_counted(feed):
    async with editable_screener(feed) as (app, pilot):
        await open_form(pilot, "block", "b3", "E", "BlockForm")
        await type_into(pilot, "#f-choices", "\n1 = Yes\n\n2 = No\n1 = Maybe")
        await pilot.press("f2")
        await pilot.pause()
        assert type(app.screen).__name__ == "BlockForm"  # not sent
        assert "line 5 value: value '1' is used twice" in error_text(app, "choices")


async def test_block_form_refuses_a_broken_show_if_and_a_repeated_value_field_by_field(feed):
    async with editable_screener(feed) as (app, pilot):
        await open_form(pilot, "block", "b3", "E", "BlockForm")
        await type_into(pilot, "#f-showIf", "q1.value == '1' and (")
        caret = str(app.screen.query_one(".expression-caret").render())
        assert "^" in caret and "column" not in caret  # the caret sits under the column
        await type_into(pilot, "#f-choices", "1 = Yes\n1 = No")
        await pilot.press("f2")
        await pilot.pause()
        assert type(app.screen).__name__ == "BlockForm"  # not sent
        assert "✗" in error_text(app, "showIf")
        assert "used twice" in error_text(app, "choices")
        assert "line 2" in error_text(app, "choices")
        assert app.store.block("b3").config.showIf == "q1.value != '1'"


async def test_cancel_leaves_the_item_as_it_was(feed):
    async with editable_screener(feed) as (app, pilot):
        await open_form(pilot, "variable", "v1", "enter", "VariableForm")
        await type_into(pilot, "#f-expression", "true")
        await pilot.press("escape")
        await until_screen(pilot, "DiscardScreen")
        await pilot.press("d")
        await until_screen(pilot, "MainScreen")
        assert app.store.variable("v1").expression == "q1.value in ['2', '3']"
        assert len(app.editing.history) == 0


async def test_esc_on_an_edited_form_asks_before_it_discards_the_edits(feed):
    async with editable_screener(feed) as (app, pilot):
        await open_form(pilot, "block", "b2", "E", "BlockForm")
        await pilot.press("escape")  # nothing edited: closes at once
        await until_screen(pilot, "MainScreen")

        await open_form(pilot, "block", "b2", "E", "BlockForm")
        await type_into(pilot, "#f-label", "Your [b]age?")
        await pilot.press("escape")
        await until_screen(pilot, "DiscardScreen")
        question = app.screen.query_one("#confirm-question").render_line(0).text.strip()
        assert question == "Discard your edits to this MultipleChoice block?"
        await pilot.press("k")  # keep editing: back in the form, the edit still there
        await until_screen(pilot, "BlockForm")
        assert app.screen.query_one("#f-label", Input).value == "Your [b]age?"
        await pilot.press("escape")
        await until_screen(pilot, "DiscardScreen")
        await pilot.press("escape")  # esc on the question keeps editing too
        await until_screen(pilot, "BlockForm")
        await pilot.press("f2")
        await until_screen(pilot, "MainScreen")
        assert app.store.block("b2").config.label == "Your [b]age?"


async def test_esc_on_a_new_item_with_typed_fields_asks_before_dropping_it(feed):
    async with editable_screener(feed) as (app, pilot):
        await open_form(pilot, "variable", "v1", "a", "VariableForm")
        await type_into(pilot, "#f-name", "heavyUser")
        await pilot.press("escape")
        await until_screen(pilot, "DiscardScreen")
        question = app.screen.query_one("#confirm-question").render_line(0).text.strip()
        assert question == "Discard this new variable?"
        await pilot.press("d")
        await until_screen(pilot, "MainScreen")
        names = [v.name for v in app.store.variables(SURVEY)]
        assert "heavyUser" not in names and len(app.editing.history) == 0


@pytest.mark.parametrize(
    "block_type",
    [
        "Text",
        "TextInput",
        "MultipleChoice",
        "Matrix",
        "InputList",
        "CardSort",
        "RankOrder",
        "Autosum",
        "Loop",
    ],
)
async def test_add_a_block_of_each_type_after_the_selected_one(feed, block_type):
    async with editable_screener(feed) as (app, pilot):
        await open_form(pilot, "block", "b4", "a", "PickScreen")
        for _ in range(BLOCK_TYPES.index(block_type)):
            await pilot.press("down")
        await pilot.press("enter")
        await until_screen(pilot, "BlockForm")
        form = app.screen
        await type_into(pilot, "#f-name", "fresh")
        if block_type == "Text":
            await type_into(pilot, "#f-content", "Thanks!")
        else:
            await type_into(pilot, "#f-label", f"A new {block_type}")
        lists = {
            "MultipleChoice": ["#f-choices"],
            "Matrix": ["#f-rows", "#f-columns"],
            "InputList": ["#f-inputs"],
            "CardSort": ["#f-cards", "#f-categories"],
            "RankOrder": ["#f-items"],
            "Autosum": ["#f-items"],
        }
        for selector in lists.get(block_type, []):
            await type_into(pilot, selector, "a = First\nb = Second")
        if block_type == "Autosum":
            await type_into(pilot, "#f-target", "10")
        if block_type == "Loop":
            await type_into(pilot, "#f-variable", "isAdult")
            await type_into(pilot, "#f-blocks", "b4")
        form.action_save()
        await until_screen(pilot, "MainScreen")
        await settle(pilot, app)
        added = [b for b in app.store.blocks("p3") if b.config.name == "fresh"]
        assert len(added) == 1 and added[0].type == block_type
        if block_type == "Autosum":
            assert added[0].config.target == 10
        if block_type == "Matrix":
            assert [c.label for c in added[0].config.columns] == ["First", "Second"]
        assert ("block", added[0].id) in app.tree


async def test_page_form_needs_a_name_then_saves_the_end_disposition(feed):
    async with editable_screener(feed) as (app, pilot):
        await open_form(pilot, "page", "p2", "E", "PageForm")
        await type_into(pilot, "#f-name", "")
        await pilot.press("f2")
        await pilot.pause()
        assert "needs a name" in error_text(app, "name")
        await type_into(pilot, "#f-name", "Screened out")
        await pick(pilot, "#f-disposition", "terminate")
        await save_form(pilot)
        page = app.store.page("p2")
        assert page.name == "Screened out"
        assert page.assign_response_status == "terminate" and page.ends_survey


async def test_rule_form_picks_a_target_and_previews_what_the_rule_does(feed):
    async with editable_screener(feed) as (app, pilot):
        await open_form(pilot, "rule", "r1", "enter", "RuleForm")
        preview = str(app.screen.query_one(".expression-preview").render())
        assert preview == "→ Disqualified when q1 is Under 18"
        await type_into(pilot, "#f-condition", "q1.value == '3' or q1.value == '2'")
        preview = str(app.screen.query_one(".expression-preview").render())
        assert preview == "→ Disqualified when q1 is 35+ or q1 is 18-34"
        await type_into(pilot, "#f-condition", "q9.value == '1'")
        await pilot.press("f2")
        await pilot.pause()
        assert "unknown name: q9" in error_text(app, "condition")
        await type_into(pilot, "#f-condition", "q1.value == '1'")
        await pick(pilot, "#f-target", "3. Sat")
        await save_form(pilot)
        assert app.store.rule("r1").target_page_id == "p3"


async def test_condition_completes_names_and_the_choice_values_of_the_question(feed):
    async with editable_screener(feed) as (app, pilot):
        await open_form(pilot, "rule", "r1", "enter", "RuleForm")
        await type_into(pilot, "#f-condition", "isA")
        field = app.screen.query_one("#f-condition", Input)
        await until(pilot, lambda: field._suggestion == "isAdult")
        await pilot.press("right")  # accept the suggestion
        assert field.value == "isAdult"
        await type_into(pilot, "#f-condition", "q1.value == '3")
        await until(pilot, lambda: field._suggestion == "q1.value == '3'")
        await type_into(pilot, "#f-condition", "q1 == ")
        await until(pilot, lambda: field._suggestion == "q1 == '1'")


async def test_variable_form_refuses_a_bad_name(feed):
    async with editable_screener(feed) as (app, pilot):
        await open_form(pilot, "variable", "v1", "enter", "VariableForm")
        await type_into(pilot, "#f-name", "is adult")
        await pilot.press("f2")
        await pilot.pause()
        assert "starting with a letter" in error_text(app, "name")
        await type_into(pilot, "#f-name", "grownUp")
        await save_form(pilot)
        assert app.store.variable("v1").name == "grownUp"


async def test_survey_form_renames_the_survey(feed):
    async with editable_screener(feed) as (app, pilot):
        await open_form(pilot, "survey", SURVEY, "E", "SurveyForm")
        await type_into(pilot, "#f-name", "Car owners 2026")
        await pilot.press("enter")
        await until_screen(pilot, "MainScreen")
        await settle(pilot, app)
        assert app.store.survey_record(SURVEY).name == "Car owners 2026"
        assert app.store.progress(SURVEY).status == "programming"  # nothing else lost


async def test_delete_asks_first_and_undo_brings_the_block_back(feed):
    async with editable_screener(feed) as (app, pilot):
        await open_form(pilot, "block", "b3", "D", "ConfirmScreen")
        await pilot.press("n")
        await until_screen(pilot, "MainScreen")
        assert app.store.block("b3") is not None
        await pilot.press("D")
        await until_screen(pilot, "ConfirmScreen")
        await pilot.press("y")
        await until(pilot, lambda: app.store.block("b3") is None)
        await settle(pilot, app)
        assert ("block", "b3") not in app.tree
        await pilot.press("u")
        await until(pilot, lambda: len(app.store.blocks("p1")) == 3)
        back = [b for b in app.store.blocks("p1") if b.config.label == "Do you own a car?"]
        assert back and back[0].config.showIf == "q1.value != '1'"
        await pilot.press("U")  # redo: deleted again
        await until(pilot, lambda: len(app.store.blocks("p1")) == 2)


async def test_move_down_swaps_two_blocks_and_undo_restores_their_order(feed):
    async with editable_screener(feed) as (app, pilot):
        app.go_to_item("block", "b2")
        await pilot.press("J")
        await until(pilot, lambda: [b.id for b in app.store.blocks("p1")] == ["b1", "b3", "b2"])
        await settle(pilot, app)
        assert app.tree.ref_name("b3") == "q1"  # numbering follows the new order
        await pilot.press("u")  # one undo takes back the whole move, both blocks' orders
        await until(pilot, lambda: [b.id for b in app.store.blocks("p1")] == ["b1", "b2", "b3"])
        await settle(pilot, app)
        assert [b.order for b in app.store.blocks("p1")] == [0, 1, 2]
        await pilot.press("U")
        await until(pilot, lambda: [b.id for b in app.store.blocks("p1")] == ["b1", "b3", "b2"])
        await settle(pilot, app)
        assert [b.order for b in app.store.blocks("p1")] == [0, 1, 2]


def toasts(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The notifications on the screen, as shown."""
    return [
        " ".join(toast.render_line(y).text.strip() for y in range(toast.size.height)).strip()
        for toast in app.screen.query(Toast)
    ]


async def test_undoing_a_move_names_the_move_not_the_first_item_it_renumbered(feed):
    app = make_app(feed)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await opened(pilot, app, feed)
        app.go_to_item("page", "p3")
        await pilot.press("K")
        await until(pilot, lambda: [p.id for p in app.store.pages(SURVEY)][1] == "p3")
        await settle(pilot, app)
        await pilot.press("u")
        await until(pilot, lambda: "Undid move of page Satisfaction up" in toasts(app))
        await settle(pilot, app)
        assert [p.id for p in app.store.pages(SURVEY)][2] == "p3"
        await pilot.press("U")
        await until(pilot, lambda: "Redid move of page Satisfaction up" in toasts(app))
        app.go_to_item("block", "b2")
        await pilot.press("J")
        await until(pilot, lambda: [b.id for b in app.store.blocks("p1")] == ["b1", "b3", "b2"])
        await settle(pilot, app)
        await pilot.press("u")
        await until(pilot, lambda: "Undid move of block q1 down" in toasts(app))


async def test_a_replay_is_read_only_and_says_why(feed):
    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        feed.push(*screener_stream())
        await settle(pilot, app)
        app.editing.attach(None, "a replay is read-only")
        await open_form(pilot, "block", "b2", "E", "BlockForm")
        assert "read-only: a replay is read-only" in str(
            app.screen.query_one("#form-locked").render()
        )
        assert app.screen.query_one("#f-label", Input).disabled


async def test_open_a_file_edit_it_save_it_and_read_it_back(tmp_path: Path):
    path, original = screener_file(tmp_path)
    app = file_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.store.block("b2") is not None)
        await settle(pilot, app)
        assert app.editing.kind == "file"
        await open_form(pilot, "block", "b2", "enter", "BlockForm")
        await type_into(pilot, "#f-label", "Age group")
        await save_form(pilot)
        await pilot.press("q")  # unsaved: warns instead of quitting
        await pilot.pause()
        assert app.is_running
        await pilot.press("w")
        await pilot.pause()
        assert not app.editing.dirty
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert json.loads((tmp_path / "screener.json.bak").read_text(encoding="utf-8")) == original
    labels = [b["config"].get("label") for p in saved["pages"] for b in p["blocks"]]
    assert "Age group" in labels and "How old are you?" not in labels
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".screener")]  # no temp left

    app = file_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.store.block("b2") is not None)
        assert app.store.block("b2").config.label == "Age group"


async def test_no_answer_offers_retry_or_a_draft_that_is_kept_on_disk(feed, tmp_path, monkeypatch):
    from qtui.editing.questra import QuestraEditor

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        feed.push(*screener_stream())
        await settle(pilot, app)
        # nothing listens on port 9: every attempt is refused
        app.editing.attach(QuestraEditor.connect("http://127.0.0.1:9", "key", "org", SURVEY))
        await open_form(pilot, "variable", "v1", "enter", "VariableForm")
        await type_into(pilot, "#f-name", "grownUp")
        await pilot.press("f2")
        await until(
            pilot, lambda: "Not sent" in str(app.screen.query_one("#form-message").render())
        )
        assert "cannot reach Questra" in str(app.screen.query_one("#form-message").render())
        await pilot.click("#form-draft")
        await until_screen(pilot, "MainScreen")
        drafts = app.editing.drafts().list()
        assert len(drafts) == 1 and drafts[0].fields == {"name": "grownUp"}
        assert app.store.variable("v1").name == "isAdult"  # nothing shown as done
        assert (tmp_path / "qtui" / "drafts").is_dir()


async def test_a_qsf_opens_read_only_in_the_tree():
    from qtui.tui.commands import QSF_READ_ONLY, qsf_app

    path = Path(__file__).resolve().parent.parent / "fixtures" / "qsf" / "sp_test_survey.qsf"
    app, unmapped = qsf_app(path, quiet_settings())
    assert any(line.startswith("QID22") for line in unmapped)  # the Meta question
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.store.block("QID5") is not None)
        await settle(pilot, app)
        assert app.store.block("QID5").config.type == "Matrix"
        await open_form(pilot, "block", "QID1", "E", "BlockForm")
        assert f"read-only: {QSF_READ_ONLY}" in str(app.screen.query_one("#form-locked").render())
        assert app.screen.query_one("#f-label", Input).disabled


async def test_a_new_rule_goes_after_the_selected_one_never_ahead_of_rules_that_route(feed):
    async with editable_screener(feed) as (app, pilot):
        await open_form(
            pilot, "rule", "r1", "a", "RuleForm"
        )  # order 0; r2 (order 1) is the page's fallback
        assert app.screen.query_one("#f-order", Input).value == "1"
        await pilot.press("escape")
        await until_screen(pilot, "MainScreen")

        await open_form(
            pilot, "page", "p1", "a", "PickScreen"
        )  # a rule from the page: after its last rule
        await pilot.press("down", "down", "enter")
        await until_screen(pilot, "RuleForm")
        assert app.screen.query_one("#f-order", Input).value == "2"
        await pick(pilot, "#f-target", "3. Sat")
        await save_form(pilot)
        rules = app.store.rules("p1")
        assert [r.id for r in rules][:2] == ["r1", "r2"]  # the under-18 rule still decides first
        assert len(rules) == 3 and rules[-1].order == 2


async def test_undoing_a_page_delete_in_a_file_puts_the_page_back_as_it_was(tmp_path: Path):
    path, original = screener_file(tmp_path)
    before = next(p for p in original["pages"] if p["name"] == "Screener")
    app = file_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.store.block("b2") is not None)
        await settle(pilot, app)
        app.go_to_item("page", "p1")
        await pilot.press("D")
        await until_screen(pilot, "ConfirmScreen")
        await pilot.press("y")
        await until(pilot, lambda: app.store.page("p1") is None)
        await pilot.press("u")
        await until(pilot, lambda: any(p.name == "Screener" for p in app.store.pages(SURVEY)))
        await settle(pilot, app)
        await pilot.press("w")
        await pilot.pause()
    saved = json.loads(path.read_text(encoding="utf-8"))
    back = next(p for p in saved["pages"] if p["name"] == "Screener")
    # programmed as before (the status bar's "Programmed 3/3" stays), not a new draft page
    for field in ("programming_started_at", "programming_completed_at", "created_at"):
        assert back[field] == before[field], field
    assert [b["config"] for b in back["blocks"]] == [b["config"] for b in before["blocks"]]


async def test_quit_asks_again_after_new_edits_or_once_its_warning_has_gone(
    tmp_path: Path, monkeypatch
):
    from qtui.tui import edit_session

    path, _ = screener_file(tmp_path)
    app = file_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.store.block("b2") is not None)
        await settle(pilot, app)
        await open_form(pilot, "block", "b2", "enter", "BlockForm")
        await type_into(pilot, "#f-label", "Age group")
        await save_form(pilot)
        await pilot.press("q")  # warned
        await pilot.pause()
        await open_form(pilot, "block", "b2", "enter", "BlockForm")
        await type_into(pilot, "#f-label", "Your age group")
        await save_form(pilot)
        await pilot.press("q")  # an edit since the warning: warned again, not quit
        await pilot.pause()
        assert app.is_running
        monkeypatch.setattr(edit_session, "QUIT_WARNING_SECONDS", 0)  # the warning has gone
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running  # a q long after the warning warns again
    assert "Your age group" not in path.read_text(encoding="utf-8")

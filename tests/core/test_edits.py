"""Edits, their inverses, pending confirmation and conflicts — pure, no I/O."""

from qtui.core import edits
from qtui.core.edits import EditHistory, PendingEdits, conflict, inverse


def test_update_sends_only_the_fields_that_changed():
    before = {"id": "v1", "survey_id": "s", "name": "isAdult", "expression": "q1 == '2'"}
    edit = edits.update("variable", before, {**before, "expression": "q1 == '3'"})
    assert edit is not None and edit.fields == {"expression": "q1 == '3'"}
    assert edits.update("variable", before, dict(before)) is None


def test_inverse_of_an_update_puts_back_only_what_it_changed():
    before = {"id": "r1", "source_page_id": "p1", "target_page_id": "p2", "condition": "a"}
    edit = edits.update("navigation_rule", before, {**before, "condition": None})
    back = inverse(edit, {**before, "condition": None})
    assert back.action == "update" and back.fields == {"condition": "a"}


def test_inverse_of_a_create_deletes_the_created_item_and_of_a_delete_recreates_it():
    create = edits.create("page", "s1", {"name": "End", "order": 3, "bogus": 1})
    assert create.fields == {"name": "End", "order": 3}
    undo = inverse(create, {"id": "p9", "name": "End", "order": 3})
    assert (undo.action, undo.item_id) == ("delete", "p9")
    gone = {"id": "b1", "page_id": "p1", "order": 2, "config": {"type": "Text", "content": "x"}}
    again = inverse(edits.delete("block", gone), None)
    assert again.action == "create" and again.parent_id == "p1"
    assert again.fields == {"config": gone["config"], "order": 2}


def test_history_undo_then_redo_then_a_new_edit_clears_redo():
    history = EditHistory()
    before = {"id": "v1", "name": "a", "expression": None}
    edit = edits.update("variable", before, {**before, "name": "b"})
    history.record(edit, {**before, "name": "b"})
    undo = history.undo()
    assert undo is not None and undo.fields == {"name": "a"}
    history.record(undo, {**before, "name": "a"}, kind="undo")
    redo = history.redo()
    assert redo is not None and redo.fields == {"name": "b"}
    history.record(redo, {**before, "name": "b"}, kind="redo")
    history.record(edit, None)
    assert history.can_undo and not history.can_redo


def test_a_move_renumbering_two_items_is_undone_and_redone_as_one_action():
    history = EditHistory()
    first = {"id": "p0", "name": "Intro", "order": 0}
    history.record(edits.update("page", first, {**first, "name": "Hello"}), None)
    age, gender = {"id": "p1", "order": 1}, {"id": "p2", "order": 2}
    group = history.new_group("move of page Gender up")
    assert history.group_title(group) == "move of page Gender up"
    assert history.group_title(None) == "" and history.group_title(history.new_group()) == ""
    history.record(edits.update("page", gender, {**gender, "order": 1}), None, group=group)
    history.record(edits.update("page", age, {**age, "order": 2}), None, group=group)
    batch, got = history.undo_action()
    assert got == group
    assert [(e.item_id, e.fields) for e in batch] == [("p1", {"order": 1}), ("p2", {"order": 2})]
    for edit in batch:
        history.record(edit, None, kind="undo", group=group)
    batch, _ = history.redo_action()
    assert [(e.item_id, e.fields) for e in batch] == [("p2", {"order": 1}), ("p1", {"order": 2})]
    history.record(batch[0], None, kind="redo", group=group)
    history.record(batch[1], None, kind="redo", group=group)
    assert len(history.undo_action()[0]) == 2
    [rename], no_group = history.undo_action()  # the edit before the move: alone
    assert rename.item_id == "p0" and no_group is None and not history.can_undo


def test_pending_is_cleared_by_an_event_as_new_as_the_answer_only():
    pending = PendingEdits()
    before = {
        "id": "b1",
        "page_id": "p",
        "config": {"type": "Text"},
        "updated_at": "2026-01-01T00:00:00Z",
    }
    edit = edits.update("block", before, {**before, "order": 4})
    assert pending.add(edit, {**before, "order": 4, "updated_at": "2026-01-01T00:00:05Z"}, 1.0)
    assert not pending.confirm("block", "updated", "b1", "2026-01-01T00:00:03Z", 2.0)
    assert ("block", "b1") in pending
    assert pending.confirm("block", "updated", "b1", "2026-01-01T00:00:05Z", 3.0)
    assert len(pending) == 0


def test_a_webhook_that_beat_the_rest_answer_confirms_at_once():
    pending = PendingEdits()
    pending.confirm("variable", "updated", "v1", None, 5.0)  # the webhook, first
    edit = edits.update("variable", {"id": "v1", "name": "a"}, {"id": "v1", "name": "b"})
    assert pending.add(edit, {"id": "v1", "name": "b"}, 4.0) is None
    # an event seen before the edit was sent confirms nothing
    assert pending.add(edit, {"id": "v1", "name": "b"}, 6.0) == ("variable", "v1")


def test_conflict_when_updated_at_moved_or_an_editable_field_changed():
    base = {"id": "b", "updated_at": "2026-01-01T00:00:00Z", "order": 1}
    assert not conflict("block", base, dict(base))
    assert conflict("block", base, {**base, "updated_at": "2026-01-01T00:00:01Z"})
    assert conflict("block", base, None)
    rule = {"id": "r", "condition": "a", "target_page_id": "p2"}
    assert conflict("navigation_rule", rule, {**rule, "condition": "b"})
    assert not conflict("navigation_rule", rule, {**rule, "sourcePage": {}})


def test_undo_of_a_page_delete_restores_its_contents_under_the_new_ids_and_redo_deletes_them():
    page = {"id": "p2", "survey_id": "s", "name": "Brands", "order": 4, "updated_at": "t0"}
    loop = {"id": "b1", "page_id": "p2", "order": 0, "config": {"type": "Loop", "blocks": ["b2"]}}
    question = {"id": "b2", "page_id": "p2", "order": 1, "config": {"type": "Text", "name": "q9"}}
    own = {"id": "r1", "source_page_id": "p2", "target_page_id": "p3", "condition": "x", "order": 0}
    into = {
        "id": "r0",
        "source_page_id": "p1",
        "target_page_id": "p2",
        "condition": None,
        "order": 2,
    }
    deleted = edits.delete(
        "page", page, "page Brands", blocks=[loop, question], rules=[own], incoming=[into]
    )
    plan = inverse(deleted, None)
    assert isinstance(plan, edits.Restore)
    # The page, then the block the Loop lists, then the Loop, its rule, the rule into it.
    assert [(s.entity, s.restores) for s in plan.steps] == [
        ("page", "p2"),
        ("block", "b2"),
        ("block", "b1"),
        ("navigation_rule", "r1"),
        ("navigation_rule", "r0"),
    ]
    answers = iter(["P2", "B2", "B1", "R1", "R0"])
    while not plan.finished:
        step = plan.step(plan.done)
        if plan.done == 2:
            assert step.parent_id == "P2" and step.fields["config"]["blocks"] == ["B2"]
            assert step.fields["order"] == 0  # still first on the page
        if plan.done == 4:
            assert (step.parent_id, step.fields["target_page_id"]) == ("p1", "P2")
        plan = plan.advanced(step, {"id": next(answers), "updated_at": "t1"})
    assert plan.counts() == "page Brands, 2 blocks, 2 rules"
    redo = plan.redo()
    assert (redo.action, redo.item_id, redo.base_updated_at) == ("delete", "P2", "t1")
    assert [b["id"] for b in redo.before["blocks"]] == ["B1", "B2"]
    again = inverse(redo, None)  # and undo once more brings back the same, from the new ids
    assert [s.restores for s in again.steps] == ["P2", "B2", "B1", "R1", "R0"]


def test_a_restore_that_stopped_half_way_is_resumed_by_the_next_undo():
    history = EditHistory()
    page = {"id": "p2", "survey_id": "s", "name": "Brands", "order": 1}
    block = {"id": "b1", "page_id": "p2", "order": 0, "config": {"type": "Text"}}
    history.record(edits.delete("page", page, "page Brands", blocks=[block]), None)
    plan = history.undo()
    plan = plan.advanced(plan.step(0), {"id": "P2"})
    history.put_back(plan, "undo")
    resumed = history.undo()
    assert resumed.done == 1 and resumed.step(1).parent_id == "P2"
    assert resumed.counts(resumed.done) == "1 block"


def test_undo_of_a_block_delete_points_the_loops_that_listed_it_at_the_new_block():
    gone = {"id": "b2", "page_id": "p1", "order": 1, "config": {"type": "Text", "name": "q9"}}
    loop = {
        "id": "b7",
        "page_id": "p3",
        "order": 0,
        "config": {"type": "Loop", "blocks": ["b2", "b3"]},
        "updated_at": "t0",
    }
    assert edits.listing([loop, gone], {"b2"}) == [loop]
    assert edits.listing([loop], {"b5"}) == []
    plan = inverse(edits.delete("block", gone, "q9", loops=[loop]), None)
    assert isinstance(plan, edits.Restore)
    assert [(s.entity, s.action) for s in plan.steps] == [("block", "create"), ("block", "update")]
    plan = plan.advanced(plan.step(0), {"id": "B2"})
    assert plan.step(1).item_id == "b7"
    assert plan.step(1).fields["config"]["blocks"] == ["B2", "b3"]
    assert plan.counts() == "q9, 1 loop listing it"
    # Without a Loop listing it, the undo is the single create it always was.
    again = inverse(edits.delete("block", gone, "q9"), None)
    assert isinstance(again, edits.Edit) and again.restores == "b2"

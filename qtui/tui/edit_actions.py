"""The app's edit actions: open a form (E/enter), add after (a), delete (D), move (K/J),
undo (u), redo (U), save the opened file (w), send drafts.

A mixin of `QtuiApp`, so the bindings in `keys.KEYS` reach them; the decisions live in
`EditSession` and `qtui.core.edits`, the forms in `screens/forms.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work

from qtui.core import edits
from qtui.core.edits import Edit, Restore
from qtui.tui.screens.edit_form import ConfirmScreen, MoveToPageScreen, PickScreen
from qtui.tui.screens.forms import (
    BLOCK_TYPES,
    BlockForm,
    PageForm,
    RuleForm,
    SurveyForm,
    VariableForm,
)

if TYPE_CHECKING:
    from qtui.tui.edit_session import EditSession

TREE_KIND = {"navigation_rule": "rule"}
ENTITY = {"rule": "navigation_rule"}
FORMS: dict[str, Any] = {
    "survey": SurveyForm,
    "page": PageForm,
    "block": BlockForm,
    "navigation_rule": RuleForm,
    "variable": VariableForm,
}


class EditActions:
    """Mixed into `QtuiApp`."""

    editing: EditSession
    push_client_options: dict[str, Any] = {}  # e.g. fewer retries (tests)

    # --- helpers ----------------------------------------------------------------------

    def _on_main(self) -> bool:
        """Edit keys act on the tree only, never behind a form or dialog."""
        return self.screen is self.main  # type: ignore[attr-defined]

    def _selected(self) -> tuple[str, str] | None:
        if not self._on_main():
            return None
        item = self.main.tree.item  # type: ignore[attr-defined]
        if item is None:
            return None
        return ENTITY.get(item.kind, item.kind), item.id

    def _title(self, entity: str, item_id: str) -> str:
        tree = self.main.tree  # type: ignore[attr-defined]
        store = self.store  # type: ignore[attr-defined]
        if entity == "block":
            return tree.ref_name(item_id) or "block"
        if entity == "page":
            page = store.page(item_id)
            return f"page {page.name}" if page else "page"
        if entity == "navigation_rule":
            rule = store.rule(item_id)
            source = store.page(rule.source_page_id or "") if rule else None
            target = store.page(rule.target_page_id or "") if rule else None
            return f"{source.name if source else '?'} → {target.name if target else '?'}"
        if entity == "variable":
            variable = store.variable(item_id)
            return variable.name if variable else "variable"
        return "survey"

    def edits_changed(self) -> None:
        """Pending marks follow the session's pending edits."""
        tree = self.main.tree  # type: ignore[attr-defined]
        wanted = {(TREE_KIND.get(e, e), i) for e, i in self.editing.pending.keys()}
        changed = wanted ^ tree.pending_marks
        tree.pending_marks = wanted
        for key in changed:
            node = tree.node_for(key)
            if node is not None:
                node.refresh()

    def _form_done(self, result: str | None) -> None:
        self.main.tree.focus()  # type: ignore[attr-defined]

    # --- open a form --------------------------------------------------------------------

    def action_edit(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        entity, item_id = selected
        if entity == "variables":
            self.action_add()
            return
        session = self.editing
        if entity == "survey":
            item_id = item_id or (self.survey_id or "")  # type: ignore[attr-defined]
        item = session.item_dump(entity, item_id)
        if item is None:
            self.notify("That item is not loaded yet.", severity="warning")  # type: ignore[attr-defined]
            return
        form = FORMS[entity](
            session,
            item,
            title=self._title(entity, item_id),
            locked=session.locked_reason(entity, item_id),
        )
        self.push_screen(form, self._form_done)  # type: ignore[attr-defined]

    def action_add(self) -> None:
        selected = self._selected()
        survey_id = self.survey_id  # type: ignore[attr-defined]
        if selected is None or not survey_id:
            return
        entity, item_id = selected
        store = self.store  # type: ignore[attr-defined]
        session = self.editing
        reason = session.locked_reason("survey", survey_id)
        if reason:
            self.notify(f"Cannot add: {reason}", severity="warning")  # type: ignore[attr-defined]
            return
        if entity in ("variable", "variables"):
            self._open_new("variable", survey_id)
        elif entity == "navigation_rule":
            rule = store.rule(item_id)
            page = rule.source_page_id if rule else None
            order = (rule.order + 1) if rule else 0
            self._open_new("navigation_rule", page or "", order=order)
        elif entity == "block":
            block = store.block(item_id)
            if block is not None:
                self._pick_block_type(block.page_id or "", block.order + 1)
        elif entity == "page":
            page = store.page(item_id)
            choices = [
                ("page", "A page after this one"),
                ("block", "A block at the end of this page"),
                ("navigation_rule", "A navigation rule from this page"),
            ]

            def chosen(kind: str | None) -> None:
                if kind == "page":
                    self._open_new("page", survey_id, order=(page.order + 1) if page else 0)
                elif kind == "block":
                    blocks = store.blocks(item_id)
                    order = (blocks[-1].order + 1) if blocks else 0
                    self._pick_block_type(item_id, order)
                elif kind == "navigation_rule":
                    self._open_new("navigation_rule", item_id)

            self.push_screen(PickScreen("Add", choices), chosen)  # type: ignore[attr-defined]
        else:
            pages = store.pages(survey_id)
            order = (pages[-1].order + 1) if pages else 0
            choices = [("page", "A page at the end"), ("variable", "A variable")]

            def chosen_top(kind: str | None) -> None:
                if kind == "page":
                    self._open_new("page", survey_id, order=order)
                elif kind == "variable":
                    self._open_new("variable", survey_id)

            self.push_screen(PickScreen("Add", choices), chosen_top)  # type: ignore[attr-defined]

    def _pick_block_type(self, page_id: str, order: int) -> None:
        def chosen(block_type: str | None) -> None:
            if block_type:
                self._open_new("block", page_id, order=order, block_type=block_type)

        options = [(t, t) for t in BLOCK_TYPES]
        self.push_screen(PickScreen("New block: type", options), chosen)  # type: ignore[attr-defined]

    def _open_new(self, entity: str, parent_id: str, **options: Any) -> None:
        session = self.editing
        page_id = parent_id if entity in ("block", "navigation_rule") else None
        locked = session.locked_reason(entity, None, page_id)
        form = FORMS[entity](session, None, parent_id=parent_id, locked=locked, **options)
        self.push_screen(form, self._form_done)  # type: ignore[attr-defined]

    # --- delete, move -------------------------------------------------------------------

    def action_delete(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        entity, item_id = selected
        if entity in ("survey", "variables"):
            self.notify("Select a page, block, rule or variable to delete.", severity="warning")  # type: ignore[attr-defined]
            return
        session = self.editing
        reason = session.locked_reason(entity, item_id)
        if reason:
            self.notify(f"Cannot delete: {reason}", severity="warning")  # type: ignore[attr-defined]
            return
        before = session.item_dump(entity, item_id)
        if before is None:
            return
        title = self._title(entity, item_id)
        store = self.store  # type: ignore[attr-defined]
        pages = store.pages(self.survey_id or "")  # type: ignore[attr-defined]
        lines = []
        if entity in ("page", "block"):
            # Loops list the blocks they repeat by id: the ones listing what goes are kept.
            everywhere = [
                session.item_dump("block", b.id) or {}
                for p in pages
                for b in store.blocks(p.id)
                if b.type == "Loop"
            ]
            gone = {item_id} if entity == "block" else {b.id for b in store.blocks(item_id)}
            loops = edits.listing(everywhere, gone)
        if entity == "page":
            blocks = [session.item_dump("block", b.id) or {} for b in store.blocks(item_id)]
            rules = [session.item_dump("navigation_rule", r.id) or {} for r in store.rules(item_id)]
            incoming = [
                session.item_dump("navigation_rule", rule.id) or {}
                for page in pages
                if page.id != item_id
                for rule in store.rules(page.id)
                if rule.target_page_id == item_id
            ]
            into = ""
            if len(incoming) == 1:
                into = " and 1 rule of another page leads to it"
            elif incoming:
                into = f" and {len(incoming)} rules of other pages lead to it"
            lines.append(
                f"It holds {_counted(len(blocks), 'block')} and {_counted(len(rules), 'rule')}"
                f"{into}, deleted with it; u brings them all back."
            )
            loops = [loop for loop in loops if loop.get("page_id") != item_id]
            edit = edits.delete(
                "page", before, title, blocks=blocks, rules=rules, incoming=incoming, loops=loops
            )
        elif entity == "block":
            edit = edits.delete("block", before, title, loops=loops)
        else:
            edit = edits.delete(entity, before, title)  # type: ignore[arg-type]
        if entity in ("page", "block"):
            pushed = self._last_push()
            if pushed is not None:
                lines.append(
                    f"This survey was pushed to Qualtrics ({pushed.qualtrics_survey_id}, "
                    f"{pushed.pushed_at}): responses recorded against this {entity} there "
                    "would be orphaned by the next push."
                )

        def answered(yes: bool | None) -> None:
            if yes:
                self.send_edit(edit)

        # A page's title already says "page Age"; the others are bare names.
        named = title if entity == "page" else f"{edits.NOUNS[entity]} {title}"
        screen = ConfirmScreen(f"Delete {named}?", "\n".join(lines))
        self.push_screen(screen, answered)  # type: ignore[attr-defined]

    def _last_push(self) -> Any:
        """qtui's record of this survey's last push (the demo keeps its own), or None."""
        from qtui.qualtrics.state import load_last_push

        survey_id = self.survey_id  # type: ignore[attr-defined]
        if not survey_id:
            return None
        demo = getattr(self.source, "demo", None)  # type: ignore[attr-defined]
        push_dir = getattr(demo, "push_dir", None)
        found = load_last_push(survey_id)
        if found is None and push_dir is not None:
            found = load_last_push(survey_id, directory=push_dir)
        return found

    def _move(self, delta: int) -> None:
        selected = self._selected()
        if selected is None:
            return
        entity, item_id = selected
        store = self.store  # type: ignore[attr-defined]
        session = self.editing
        reason = session.locked_reason(entity, item_id)
        if reason:
            self.notify(f"Cannot move: {reason}", severity="warning")  # type: ignore[attr-defined]
            return
        if entity == "block":
            block = store.block(item_id)
            siblings = store.blocks(block.page_id or "") if block else []
        elif entity == "page":
            siblings = store.pages(self.survey_id or "")  # type: ignore[attr-defined]
        elif entity == "navigation_rule":
            rule = store.rule(item_id)
            siblings = store.rules(rule.source_page_id or "") if rule else []
        else:
            self.notify("Only pages, blocks and rules have an order.", severity="warning")  # type: ignore[attr-defined]
            return
        ids = [s.id for s in siblings]
        if item_id not in ids:
            return
        index = ids.index(item_id)
        other = index + delta
        if not 0 <= other < len(ids):
            return
        ids[index], ids[other] = ids[other], ids[index]
        moves = []
        for position, sibling_id in enumerate(ids):
            sibling = next(s for s in siblings if s.id == sibling_id)
            if sibling.order != position:
                before = session.item_dump(entity, sibling_id) or {}
                edit = edits.update(
                    entity,  # type: ignore[arg-type]
                    before,
                    {**before, "order": position},
                    self._title(entity, sibling_id),
                )
                if edit is not None:
                    moves.append(edit)
        # One move is one action: undo puts every sibling it renumbered back at once, and
        # its toast names the move, not the first sibling renumbered.
        name, noun = self._title(entity, item_id), {"block": "block", "navigation_rule": "rule"}
        if entity in noun and name != noun[entity]:
            name = f"{noun[entity]} {name}"  # "block q3", not "q3"
        title = f"move of {name} {'up' if delta < 0 else 'down'}"
        self.send_edits(moves, group=self.editing.history.new_group(title))

    def action_move_to_page(self) -> None:
        """Move the selected block to the end of another page (undo moves it back)."""
        selected = self._selected()
        if selected is None:
            return
        entity, item_id = selected
        if entity != "block":
            self.notify("Select a block to move it to another page.", severity="warning")  # type: ignore[attr-defined]
            return
        session, store = self.editing, self.store  # type: ignore[attr-defined]
        reason = session.locked_reason("block", item_id)
        block = store.block(item_id)
        if reason or block is None:
            self.notify(f"Cannot move: {reason or 'the block is gone'}", severity="warning")  # type: ignore[attr-defined]
            return
        title = self._title("block", item_id)
        pages = [(pid, label) for pid, label in self.page_choices() if pid != block.page_id]  # type: ignore[attr-defined]

        def chosen(page_id: str | None) -> None:
            before = session.item_dump("block", item_id)
            if not page_id or before is None:
                return
            reason = session.locked_reason("page", page_id)
            if reason:
                self.notify(f"Cannot move there: {reason}", severity="warning")  # type: ignore[attr-defined]
                return
            blocks = store.blocks(page_id)
            order = blocks[-1].order + 1 if blocks else 0
            after = {**before, "page_id": page_id, "order": order}
            edit = edits.update("block", before, after, title)
            if edit is not None:
                self.send_edit(edit)

        self.push_screen(MoveToPageScreen(pages, f"Move {title} to page"), chosen)  # type: ignore[attr-defined]

    def action_move_up(self) -> None:
        self._move(-1)

    def action_move_down(self) -> None:
        self._move(1)

    # --- sending without a form ---------------------------------------------------------

    def send_edit(self, edit: Edit | Restore, kind: str = "new") -> None:
        self.send_edits([edit], kind)

    @work(group="edits", exclusive=False)
    async def send_edits(
        self, batch: list[Edit | Restore], kind: str = "new", group: int | None = None
    ) -> None:
        for index, edit in enumerate(batch):
            if isinstance(edit, Restore):
                if not await self._restore(edit, kind):
                    return
                continue
            outcome = await self.editing.submit(edit, kind=kind, group=group)
            if outcome.status == "sent":
                continue
            if kind in ("undo", "redo"):
                for unsent in reversed(batch[index:]):  # what was not sent waits for `u` again
                    if isinstance(unsent, Edit):
                        self.editing.history.put_back(unsent, kind, group)
            if outcome.status == "unsent":
                for unsent in batch[index:]:
                    if isinstance(unsent, Edit):
                        path = self.editing.keep_draft(unsent, outcome.message)
                self.notify(  # type: ignore[attr-defined]
                    f"Not sent ({outcome.message}); kept as a draft in {path}.",
                    severity="warning",
                    timeout=10,
                )
            else:
                self.notify(  # type: ignore[attr-defined]
                    f"Could not {edit.describe()}: {outcome.message}", severity="error", timeout=10
                )
            return
        if kind in ("undo", "redo") and batch and not isinstance(batch[0], Restore):
            action = self.editing.history.group_title(group)
            if action:  # several edits sent as one action: name the action
                self.notify(f"{'Undid' if kind == 'undo' else 'Redid'} {action}")  # type: ignore[attr-defined]
            else:
                self.notify(f"{kind.capitalize()}: {batch[0].describe()}")  # type: ignore[attr-defined]

    async def _restore(self, plan: Restore, kind: str) -> bool:
        """Send a restore's steps one by one, with progress; True when all of it is back.

        What still names a deleted item by its old id (a rule into the page that Questra
        kept, a Loop listing a block) is pointed at the new id instead. When a step
        fails, what came back and what did not are said, and `u` resumes from that step."""
        session = self.editing
        total = len(plan.steps)
        outcome = None
        try:
            while not plan.finished:
                session.activity = f"restoring {plan.title} {plan.done + 1}/{total}"
                self.refresh_status()  # type: ignore[attr-defined]
                step = plan.step(plan.done)
                existing = step.item_id if step.action == "update" else step.restores
                current = session.item_dump(step.entity, existing) if existing else None
                if step.action == "update" or current is not None:
                    sent = edits.update(
                        step.entity, current or {}, edits.remap(current or {}, plan.ids), step.title
                    )
                    outcome = await session.submit(sent, kind="part") if sent else None
                    if outcome is not None and outcome.status != "sent":
                        break
                    plan = plan.advanced(step, {"id": existing})
                    continue
                outcome = await session.submit(step, kind="part")
                if outcome.status != "sent":
                    break
                plan = plan.advanced(step, outcome.result)
        finally:
            session.activity = ""
            self.refresh_status()  # type: ignore[attr-defined]
        if plan.finished:
            session.history.record(plan, plan.result, kind=kind)
            self.notify(f"{kind.capitalize()}: restored {plan.counts()}.")  # type: ignore[attr-defined]
            return True
        session.history.put_back(plan, kind)
        back = f"restored {plan.counts(0, plan.done)}; " if plan.done else ""
        why = outcome.message if outcome is not None else "not sent"
        key = "u" if kind == "undo" else "U"
        self.notify(  # type: ignore[attr-defined]
            f"{kind.capitalize()} stopped at step {plan.done + 1} of {total} ({why}): {back}"
            f"not restored: {plan.counts(plan.done)}. Press {key} to retry from there.",
            severity="error",
            timeout=15,
        )
        return False

    # --- undo, redo -----------------------------------------------------------------------

    def action_undo(self) -> None:
        if not self._on_main():
            return
        batch, group = self.editing.history.undo_action()
        if not batch:
            self.notify("Nothing to undo.")  # type: ignore[attr-defined]
            return
        self.send_edits(batch, "undo", group)

    def action_redo(self) -> None:
        if not self._on_main():
            return
        batch, group = self.editing.history.redo_action()
        if not batch:
            self.notify("Nothing to redo.")  # type: ignore[attr-defined]
            return
        self.send_edits(batch, "redo", group)

    # --- the local file and drafts ------------------------------------------------------

    def action_write_file(self) -> None:
        if not self._on_main():
            return
        try:
            path = self.editing.save_file()
        except (OSError, ValueError) as error:
            self.notify(f"Not saved: {error}", severity="error", timeout=10)  # type: ignore[attr-defined]
            return
        self.notify(f"Saved {path} (previous version in {path.name}.bak)", title="Saved")  # type: ignore[attr-defined]

    def action_send_drafts(self) -> None:
        if not self._on_main():
            return
        box = self.editing.drafts()
        drafts = box.list()
        if not drafts:
            self.notify("No drafts to send.")  # type: ignore[attr-defined]
            return
        box.replace([])
        self.send_edits(drafts)

    # --- push -----------------------------------------------------------------------------

    def action_push(self) -> None:
        if not self._on_main():
            return
        from qtui.tui.screens.push import PushScreen, push_target

        survey = self.editing.survey()
        if survey is None:
            self.notify("No survey loaded yet to push.", severity="warning")  # type: ignore[attr-defined]
            return
        kinds: dict[str, str] = {survey.id: "survey"}
        for page in survey.pages:
            kinds[page.id] = "page"
            kinds.update({block.id: "block" for block in page.blocks})
            kinds.update({rule.id: "rule" for rule in page.navigation_rules})
        kinds.update({variable.id: "variable" for variable in survey.variables})

        def chosen(picked: tuple[str, str] | None) -> None:
            if picked is not None:
                self.go_to_item(picked[0], picked[1])  # type: ignore[attr-defined]

        screen = PushScreen(survey, push_target(self), kinds, self.push_client_options)
        self.push_screen(screen, chosen)  # type: ignore[attr-defined]


def _counted(n: int, noun: str) -> str:
    """`1 block`, `3 blocks`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

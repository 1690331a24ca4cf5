"""The detail panel: everything about the item under the tree's cursor."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from qtui.core.models import (
    AttentionRequired,
    Block,
    Choice,
    NavigationRule,
    Page,
    UnparsedConfig,
    Variable,
)
from qtui.core.outline import badge, needs_attention
from qtui.core.routes import Finding
from qtui.core.store import SurveyStore
from qtui.tui.clock import Clock, stopwatch
from qtui.tui.problems import short as kind_words
from qtui.tui.safe import shown
from qtui.tui.widgets.expression import expression
from qtui.tui.widgets.survey_tree import Item, NodeKey

# Config fields shown in their own rows; anything else a block carries is listed after them.
_SHOWN_CONFIG = {
    "type", "name", "label", "showIf", "attentionRequired", "content", "choices", "rows",
    "columns", "inputs", "cards", "categories", "items", "blocks",
}  # fmt: skip

_OPTION_LISTS = (
    ("choices", "Choices"),
    ("rows", "Rows"),
    ("columns", "Columns"),
    ("inputs", "Inputs"),
    ("cards", "Cards"),
    ("categories", "Categories"),
    ("items", "Items"),
)


class DetailPane(VerticalScroll, can_focus=True):
    """Read-only detail of the selected survey, page, block, rule or variable."""

    HELP: ClassVar[str] = """\
## Detail
The item under the tree's cursor: a block's type, label, options and `showIf`; a rule's
condition (highlighted; a condition that does not parse shows the error and a caret under
the column); a page's programming status; the survey's status, platform and counts.
`✗` lines are problems the route check found in the item (`x` lists the survey's).

`c` copies the item's JSON, `s` saves it to a file. `up`/`down`/`pgup`/`pgdn` scroll.
"""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "detail--title",
        "detail--key",
        "detail--muted",
        "detail--attention",
        "detail--badge",
        "detail--ref",
        "detail--ok",
        "detail--string",
        "detail--number",
        "detail--name",
        "detail--keyword",
        "detail--operator",
        "detail--punct",
        "detail--error",
        "detail--problem",
        "detail--warn",
    }

    def __init__(self, store: SurveyStore, *, clock: Clock | None = None, id: str | None = None):
        super().__init__(id=id)
        self.store = store
        self.clock = clock or Clock()
        self.item: Item | None = None
        self.content: RenderableType = ""
        self.refs: Mapping[str, str] = {}
        self.numbers: Mapping[str, int] = {}
        self.block_counts: Mapping[str, int] = {}
        self.findings: Mapping[NodeKey, tuple[Finding, ...]] = {}
        # The survey's routing line and its tone: ("2 problems · x lists them", "problem").
        self.problems_summary: tuple[str, str] = ("", "muted")
        self.border_title = "Detail"
        self._body = Static(id="detail-body")

    def compose(self):  # type: ignore[override]
        yield self._body

    @property
    def styles_map(self) -> dict[str, Style]:
        return {
            name.removeprefix("detail--"): self.get_component_rich_style(name, partial=True)
            for name in self.COMPONENT_CLASSES
        }

    def show(
        self,
        item: Item | None,
        refs: Mapping[str, str] | None = None,
        numbers: Mapping[str, int] | None = None,
        block_counts: Mapping[str, int] | None = None,
    ) -> None:
        """Show `item`; the tree passes what it already knows so nothing is counted twice."""
        moved = item != self.item
        self.item = item
        if refs is not None:
            self.refs = refs
        if numbers is not None:
            self.numbers = numbers
        if block_counts is not None:
            self.block_counts = block_counts
        self.content = self.render_item(item)
        self._body.update(shown(self.content))
        if moved:
            self.scroll_home(animate=False)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted and self.item is not None:
            self.show(self.item)

    # --- rendering --------------------------------------------------------------------

    def render_item(self, item: Item | None) -> RenderableType:
        s = self.styles_map
        if item is None:
            return Text("Nothing selected.", s["muted"])
        render = {
            "survey": self._survey,
            "page": self._page,
            "block": self._block,
            "rule": self._rule,
            "variables": self._variables,
            "variable": self._variable,
        }[item.kind]
        found = render(item.id, s)
        if found is None:
            return Text("This item was deleted.", s["muted"])
        findings = self.findings.get(item.key, ())
        if findings and isinstance(found, Group):
            # Right under the title, where the attention line goes: seen first.
            title, *rest = found.renderables
            return Group(title, *(self._finding(f, s) for f in findings), *rest)
        return found

    def _finding(self, finding: Finding, s: Mapping[str, Style]) -> Text:
        text = Text("✗ ", s["problem"])
        text.append(kind_words(finding.kind), s["problem"])
        text.append(": ")
        text.append(finding.message)
        return text

    def _grid(self, s: Mapping[str, Style]) -> Table:
        grid = _PlainGrid.grid(padding=(0, 2), expand=True)
        grid.add_column(style=s["key"], no_wrap=True, min_width=9)
        grid.add_column(ratio=1, overflow="fold")
        return grid

    def _title(self, text: str, s: Mapping[str, Style], tag: str = "") -> Text:
        title = Text()
        if tag:
            title.append(f" {tag} ", s["badge"])
            title.append(" ")
        title.append(text, s["title"])
        return title

    def _attention(self, flag: AttentionRequired | None, s: Mapping[str, Style]) -> Text | None:
        if not needs_attention(flag):
            return None
        assert flag is not None
        text = Text(" ! ", s["attention"])
        text.append(" Needs attention: ")
        text.append(flag.reason or "(no reason given)")
        return text

    def _when(self, moment: Any) -> str:
        return self.clock.stamp(moment) if moment else "—"

    def _survey(self, survey_id: str, s: Mapping[str, Style]) -> RenderableType | None:
        store = self.store
        record = store.survey_record(survey_id)
        if record is None and not store.pages(survey_id):
            return Text("Waiting for the survey…", s["muted"]) if not survey_id else None
        progress = store.progress(survey_id)
        pages = store.pages(survey_id)
        counts = self.block_counts
        blocks = sum(counts[p.id] if p.id in counts else len(store.blocks(p.id)) for p in pages)
        rules = sum(len(store.rules(p.id)) for p in pages)
        grid = self._grid(s)
        name = record.name if record and record.name else survey_id
        grid.add_row("Slug", (record.slug if record else None) or "—")
        grid.add_row("Status", str(progress.status or "unknown"))
        grid.add_row("Platform", str((record.target_platform if record else None) or "not set"))
        grid.add_row("Pushed", self._when(record.platform_ir_last_pushed_at if record else None))
        variables = len(store.variables(survey_id))
        grid.add_row(
            "Contents",
            f"{_count(len(pages), 'page')} ({progress.pages_done} programmed) · "
            f"{_count(blocks, 'block')} · {_count(rules, 'rule')} · "
            f"{_count(variables, 'variable')}",
        )
        if progress.job is not None:
            job = progress.job
            if progress.running:
                state = f"running since {self.clock.hms(progress.job_started_at)}"
            else:
                state = str(job.status or "finished")
                took = progress.elapsed_s(None)
                if took is not None:
                    # The same figure as the progress row, and where it comes from.
                    state += (
                        f" · {stopwatch(took)} from programming.started to "
                        "programming.finished (Questra's timestamps)"
                    )
            grid.add_row("Programming", state)
            reason = progress.failure_reason
            if reason is None and str(job.status or "") == "failed":
                reason = "no reason given"
            if reason:
                grid.add_row("Reason", Text(reason, s["error"]))
        summary, tone = self.problems_summary
        if summary:
            grid.add_row("Routing", Text(summary, s.get(tone, s["muted"])))
        if record is not None:
            grid.add_row("Started", self._when(record.programming_started_at))
            grid.add_row("Completed", self._when(record.programming_completed_at))
            grid.add_row("Created", self._when(record.created_at))
            grid.add_row("Updated", self._when(record.updated_at))
            grid.add_row("Org", record.org_id or "—")
        grid.add_row("Id", Text(survey_id, s["muted"]))
        return Group(self._title(name, s, "SURVEY"), Text(), grid)

    def _page(self, page_id: str, s: Mapping[str, Style]) -> RenderableType | None:
        page: Page | None = self.store.page(page_id)
        if page is None:
            return None
        grid = self._grid(s)
        state = {"done": "programmed", "programming": "being programmed", "waiting": "waiting"}
        grid.add_row("Status", state[page.programming_state])
        grid.add_row("Number", str(self.numbers.get(page_id, "—")))
        grid.add_row("Order", str(page.order))
        grid.add_row("Blocks", str(len(self.store.blocks(page_id))))
        grid.add_row("Rules", str(len(self.store.rules(page_id))))
        grid.add_row("Response", page.assign_response_status or "—")
        grid.add_row("Locked", "yes" if page.locked else "no")
        grid.add_row("Started", self._when(page.programming_started_at))
        grid.add_row("Completed", self._when(page.programming_completed_at))
        grid.add_row("Created", self._when(page.created_at))
        grid.add_row("Updated", self._when(page.updated_at))
        grid.add_row("Id", Text(page.id, s["muted"]))
        parts: list[RenderableType] = [self._title(page.name or page.id, s, "PAGE")]
        if (flag := self._attention(page.attention_required, s)) is not None:
            parts.append(flag)
        parts += [Text(), grid]
        return Group(*parts)

    def _block(self, block_id: str, s: Mapping[str, Style]) -> RenderableType | None:
        block: Block | None = self.store.block(block_id)
        if block is None:
            return None
        config = block.config
        ref = self.refs.get(block_id)
        title = self._title(f"{ref or '·'}  {block.type}", s, badge(block.type))
        parts: list[RenderableType] = [title]
        if (flag := self._attention(config.attentionRequired, s)) is not None:
            parts.append(flag)
        parts.append(Text())
        grid = self._grid(s)
        if config.label:
            grid.add_row("Label", config.label)
        content = getattr(config, "content", None)
        if content:
            grid.add_row("Content", content)
        for field, title_text in _OPTION_LISTS:
            options = getattr(config, field, None)
            if isinstance(options, list) and options:
                grid.add_row(title_text, self._options(options, s))
        if block.type == "Loop":
            grid.add_row("Over", getattr(config, "variable", "") or "—")
            grid.add_row("Repeats", ", ".join(self.refs.get(b, b) for b in config.blocks) or "—")  # type: ignore[union-attr]
        grid.add_row("Show if", expression(config.showIf, s, "always shown"))
        grid.add_row("Reference", f"{ref or '—'}" + (" (named)" if config.name else ""))
        if isinstance(config, UnparsedConfig):
            grid.add_row(Text("Config", s["problem"]), self._unparsed(config, s))
        else:
            dumped = config.dump()
            extra = {k: v for k, v in dumped.items() if k not in _SHOWN_CONFIG and v is not None}
            for key, value in extra.items():
                grid.add_row(key, Text(_scalar(value)))
        page = self.store.page(block.page_id or "")
        grid.add_row("Page", page.name if page else "—")
        grid.add_row("Order", str(block.order))
        grid.add_row("Updated", self._when(block.updated_at))
        grid.add_row("Id", Text(block.id, s["muted"]))
        parts.append(grid)
        return Group(*parts)

    @staticmethod
    def _unparsed(config: UnparsedConfig, s: Mapping[str, Style]) -> Text:
        """What was not understood, then the config as received (kept, saved back as is)."""
        text = Text("not understood: ", s["problem"])
        text.append(config.problem)
        text.append("\n")
        text.append(json.dumps(config.raw, ensure_ascii=False, default=str)[:2000], s["muted"])
        return text

    def _options(self, options: list[Choice], s: Mapping[str, Style]) -> Text:
        """`value  label` lines, values aligned (a nested table would centre itself)."""
        values = [option.value if isinstance(option, Choice) else str(option) for option in options]
        width = max(len(value) for value in values)
        text = Text()
        for index, (option, value) in enumerate(zip(options, values, strict=True)):
            if index:
                text.append("\n")
            text.append(value.ljust(width), s["number"])
            text.append("  ")
            text.append(option.label if isinstance(option, Choice) else "")
        return text

    def _rule(self, rule_id: str, s: Mapping[str, Style]) -> RenderableType | None:
        rule: NavigationRule | None = self.store.rule(rule_id)
        if rule is None:
            return None
        source = self.store.page(rule.source_page_id or "")
        target = self.store.page(rule.target_page_id or "")
        target_name = target.name if target else f"missing page {rule.target_page_id}"
        parts: list[RenderableType] = [self._title(f"→ {target_name}", s, "RULE")]
        if (flag := self._attention(rule.attention_required, s)) is not None:
            parts.append(flag)
        grid = self._grid(s)
        grid.add_row("If", expression(rule.condition, s, "always (no condition)"))
        grid.add_row("From", source.name if source else "—")
        grid.add_row("To", target_name)
        grid.add_row("Order", f"{rule.order} (rules of a page are tried in order)")
        grid.add_row("Updated", self._when(rule.updated_at))
        grid.add_row("Id", Text(rule.id, s["muted"]))
        parts += [Text(), grid]
        return Group(*parts)

    def _variable(self, variable_id: str, s: Mapping[str, Style]) -> RenderableType | None:
        variable: Variable | None = self.store.variable(variable_id)
        if variable is None:
            return None
        parts: list[RenderableType] = [self._title(variable.name or variable.id, s, "VAR")]
        if (flag := self._attention(variable.attention_required, s)) is not None:
            parts.append(flag)
        grid = self._grid(s)
        grid.add_row("Value", expression(variable.expression, s, "no expression"))
        grid.add_row("Updated", self._when(variable.updated_at))
        grid.add_row("Id", Text(variable.id, s["muted"]))
        parts += [Text(), grid]
        return Group(*parts)

    def _variables(self, _: str, s: Mapping[str, Style]) -> RenderableType | None:
        survey_id = self.item_survey_id()
        variables = self.store.variables(survey_id) if survey_id else []
        grid = self._grid(s)
        for variable in variables:
            grid.add_row(variable.name, expression(variable.expression, s, "no expression"))
        return Group(self._title(f"{len(variables)} variables", s, "VARS"), Text(), grid)

    def item_survey_id(self) -> str | None:
        ids = self.store.survey_ids()
        return self.survey_id or (ids[0] if ids else None)

    survey_id: str | None = None


class _PlainGrid(Table):
    """A grid whose text cells are plain text: survey names, labels and keys are user data,
    which Rich would read as markup in a `str` cell (`[/]` in a label would crash)."""

    def add_row(self, *cells: RenderableType | None, **options: Any) -> None:
        plain = [Text(cell) if isinstance(cell, str) else cell for cell in cells]
        super().add_row(*plain, **options)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)

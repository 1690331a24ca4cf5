"""The coverage screen: every planned route walked, a progress bar and a routes × pages matrix.

Each row is a route, each column a page of the source survey (numbered as in the walkthrough
screen's route list): ○ expected, ● walked and as expected, ✗ where the walk diverged, ! where
the platform refused. `enter` on a route opens its walk in the walkthrough screen, its answers
filled in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, ProgressBar, Static

from qtui.qa.plan import CoveragePlan, PlannedRoute
from qtui.qa.report import KIND_WORDS, divergence_text, engine_phrase
from qtui.qa.run import CoverageRun, PageLocator, Taker, WalkResult, run_coverage
from qtui.tui.safe import plain, shown
from qtui.tui.style_files import style_paths

COVERAGE_HELP = """\
## Route coverage

Every planned route is walked on the platform (or the local engine). Rows are routes, columns
the source survey's pages: ○ expected, ● walked as expected, ✗ where the walk diverged, ! where
the platform refused.

`↑` `↓` choose a route · `enter` opens its walk in the walkthrough screen, answers filled in ·
`q` / `esc` goes back.
"""


class CoverageScreen(Screen[None]):
    HELP: ClassVar[str] = COVERAGE_HELP
    CSS_PATH: ClassVar[list[str | Path]] = style_paths("qa.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "open_selected",
            "Open route",
            id="qa.cover.open",
            tooltip="Open the route's walk, answers filled in",
        ),
        Binding("escape,q", "leave", "Back", id="qa.cover.leave", tooltip="Back to the walk"),
    ]

    def __init__(
        self,
        plan: CoveragePlan,
        locator: PageLocator,
        make_taker: Callable[[], Taker],
        *,
        open_route: Callable[[PlannedRoute], None] | None = None,
        concurrency: int = 4,
    ) -> None:
        super().__init__()
        self.plan = plan
        self.locator = locator
        self.make_taker = make_taker
        self.open_route = open_route
        self.concurrency = concurrency
        self.results: dict[str, WalkResult] = {}
        self.run: CoverageRun | None = None
        self.pages = [t.item_id for t in plan.targets if t.kind == "page"]

    def compose(self) -> ComposeResult:
        yield Static("", id="cover-title")
        yield ProgressBar(total=max(1, len(self.plan.routes)), show_eta=False, id="cover-progress")
        yield DataTable(id="cover-matrix", cursor_type="row", zebra_stripes=True)
        yield Static("", id="cover-summary")
        yield Footer()

    def on_mount(self) -> None:
        engine = self.make_taker().label
        self.query_one("#cover-title", Static).update(
            plain(
                f"Route coverage · {self.plan.survey_name} · {len(self.plan.routes)} routes "
                f"{engine_phrase(engine)}",
                "bold",
            )
        )
        table = self.query_one(DataTable)
        table.add_column("route", key="route")
        table.add_column("result", key="result")
        for number, page_id in enumerate(self.pages, start=1):
            table.add_column(str(number), key=page_id)
        for route in self.plan.routes:
            table.add_row(route.name, "…", *self._cells(route, None), key=route.name)
        table.focus()
        self.walk_all()

    def _cells(self, route: PlannedRoute, result: WalkResult | None) -> list[Text]:
        expected = set(route.prediction.shown)
        walked = set(result.visited) if result is not None else set()
        bad = None
        if result is not None and result.divergence is not None:
            bad = result.divergence.reached or result.divergence.expected
        cells = []
        for page_id in self.pages:
            if page_id == bad:
                cells.append(Text("✗", style="bold red"))
            elif page_id in walked and page_id in expected:
                cells.append(Text("●", style="bold green"))
            elif page_id in walked:
                cells.append(Text("●", style="bold red"))
            elif page_id in expected:
                cells.append(Text("○"))
            else:
                cells.append(Text("·", style="dim"))
        return cells

    @work(exclusive=True, group="cover", exit_on_error=False)
    async def walk_all(self) -> None:
        progress = self.query_one(ProgressBar)

        def done(result: WalkResult) -> None:
            self.results[result.route] = result
            progress.advance(1)
            self._show(result)

        self.run = await run_coverage(
            self.plan,
            self.locator,
            self.make_taker,
            concurrency=self.concurrency,
            progress=done,
        )
        self._summary()

    def _show(self, result: WalkResult) -> None:
        table = self.query_one(DataTable)
        route = next(r for r in self.plan.routes if r.name == result.route)
        if result.divergence is not None:
            verdict = Text("diverged", style="bold red")
        elif result.error is not None:
            verdict = Text("refused", style="bold red")
        else:
            verdict = Text(f"agrees · {result.ending}", style="green")
        table.update_cell(result.route, "result", verdict, update_width=True)
        for page_id, cell in zip(self.pages, self._cells(route, result), strict=True):
            table.update_cell(result.route, page_id, cell)

    def _summary(self) -> None:
        run = self.run
        assert run is not None
        text = Text()
        totals = run.plan.totals(run.covered)
        text.append(
            "Coverage: "
            + ", ".join(f"{KIND_WORDS[k]} {got}/{of}" for k, (got, of) in totals.items()),
            style="bold",
        )
        text.append("\n")
        for result in run.divergences:
            assert result.divergence is not None
            text.append(f"✗ {result.route}: ", style="bold red")
            text.append(divergence_text(run.plan, result.divergence) + "\n")
        for result in run.errors:
            text.append(f"! {result.route}: {result.error}\n", style="red")
        for missing in run.plan.uncoverable:
            text.append(f"cannot cover {run.plan.label(missing.target)}: {missing.reason}\n")
        text.append("enter opens a route's walk", style="dim")
        self.query_one("#cover-summary", Static).update(shown(text))

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        route = next((r for r in self.plan.routes if r.name == key), None)
        if route is not None and self.open_route is not None:
            self.open_route(route)

    def action_open_selected(self) -> None:
        """The route under the cursor (from the palette; `enter` on the table does the same)."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        row = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        route = next((r for r in self.plan.routes if r.name == row), None)
        if route is not None and self.open_route is not None:
            self.open_route(route)

    def action_leave(self) -> None:
        self.dismiss(None)

    def result_for(self, route: str) -> Any:
        return self.results.get(route)

"""Opening the QA screens: from `qtui qa SV_…` on a terminal, or with `Q` from the live tree.

`QaSession` holds what every screen of one QA session shares — the Qualtrics client, the
platform's definition, the source survey, the engine — and opens the walkthrough screen,
the coverage screen, and a route's walk from the coverage screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from qtui.core.models import Survey
from qtui.qa.plan import PlannedRoute, plan_coverage
from qtui.qa.run import LocalTaker, PageLocator, PlatformTaker, Taker, blockers
from qtui.qa.walkthrough import ManualWalk
from qtui.tui.screen_keys import screen_commands, show_screen_help
from qtui.tui.screens.coverage import CoverageScreen
from qtui.tui.screens.walkthrough import WalkthroughScreen
from qtui.tui.style_files import style_paths


class CannotWalk(ValueError):
    """The survey cannot be walked as asked; `str()` is one line saying what to do."""


@dataclass
class QaSession:
    """One pushed survey under QA. `open()` reads the definition and the source survey."""

    settings: Any
    survey_id: str
    source: str | None = None
    engine: str = "platform"
    survey: Survey | None = None  # the source survey when the caller has it (the live tree)
    record_dir: Path | None = Path("qtui-walks")
    client: Any = None
    definition: dict[str, Any] | None = None
    locator: PageLocator | None = None
    blocked: list[str] | None = None

    async def open(self) -> None:
        if self.definition is not None:
            return
        from qtui.qa.command import SourceError, load_source
        from qtui.qualtrics.client import QualtricsClient
        from qtui.qualtrics.errors import ConfigurationError, QualtricsError

        try:
            self.client = QualtricsClient.from_settings(self.settings)
        except ConfigurationError as error:
            raise CannotWalk(str(error)) from None
        try:
            self.definition = await self.client.get_definition(self.survey_id)
        except QualtricsError as error:
            raise CannotWalk(f"could not read {self.survey_id}: {error}") from None
        found = blockers(self.definition)
        if self.engine == "auto":
            # From the live tree: a survey sessions cannot take is walked in the local
            # engine, said so in the title and a notice naming what stands in the way.
            self.engine = "local" if found else "platform"
            self.blocked = found
        if self.engine == "platform" and found:
            listed = "; ".join(found)
            raise CannotWalk(
                f"{self.survey_id} cannot be walked through the sessions API — {listed}. "
                "Open it with --engine local to walk the platform's definition in the local "
                "engine."
            )
        if self.survey is None:
            try:
                self.survey, _ = await load_source(
                    self.source, self.survey_id, self.settings, self.client.base_url
                )
            except SourceError:
                self.survey = None  # walk without a prediction: the screen says so
        assert self.definition is not None
        self.locator = PageLocator(self.survey or Survey(id="unknown"), self.definition)

    def taker(self) -> Taker:
        if self.engine == "local":
            assert self.definition is not None
            return LocalTaker(self.definition)
        return PlatformTaker(self.client, self.survey_id)

    async def walk(self, answers: dict[str, Any] | None = None) -> ManualWalk:
        await self.open()
        assert self.locator is not None
        walk = ManualWalk(
            self.taker, self.locator, self.survey, survey_id=self.survey_id, answers=answers
        )
        walk.blocked = list(self.blocked or [])
        return walk

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    # --- screens ---------------------------------------------------------------------------

    def walkthrough_screen(
        self, app: App[Any], *, answers: dict[str, Any] | None = None, owner: bool = True
    ) -> WalkthroughScreen:
        return WalkthroughScreen(
            lambda: self.walk(answers),
            record_dir=self.record_dir,
            on_cover=lambda _walk: self.open_coverage(app),
            close=self.close if owner else None,
        )

    def open_coverage(self, app: App[Any]) -> None:
        if self.survey is None or self.locator is None:
            app.notify(
                "Route coverage needs the source survey: pass --survey FILE.", severity="error"
            )
            return
        plan = plan_coverage(self.survey)

        def open_route(route: PlannedRoute) -> None:
            app.push_screen(self.walkthrough_screen(app, answers=route.answers, owner=False))

        app.push_screen(CoverageScreen(plan, self.locator, self.taker, open_route=open_route))


class QaApp(App[int]):
    """`qtui qa SV_…` on a terminal: the walkthrough screen on its own."""

    TITLE = "qtui qa"
    # The walkthrough is the default screen, whose own CSS_PATH Textual loads only for a
    # pushed screen: the app carries the QA styles (coverage, pushed later, has the same).
    CSS_PATH: ClassVar[list[str | Path]] = style_paths("qtui.tcss", "qa.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "help", "Help", id="qa.help"),
        Binding("colon,ctrl+p", "command_palette", "Commands", show=False, id="qa.palette"),
    ]

    def __init__(self, session: QaSession) -> None:
        super().__init__()
        self.session = session
        from qtui.tui.themes import DEFAULT_THEME, THEMES

        for theme in THEMES:
            self.register_theme(theme)
        wanted = getattr(session.settings, "theme", DEFAULT_THEME)
        self.theme = wanted if wanted in self.available_themes else DEFAULT_THEME

    def get_default_screen(self) -> Screen[Any]:
        # The walkthrough is the base screen: leaving it quits, never a blank screen below.
        return self.session.walkthrough_screen(self)

    def action_help(self) -> None:
        show_screen_help(self, self.screen)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Help", "How to answer, and every key of this screen  [? f1]", self.action_help
        )
        yield from screen_commands(screen, self.run_screen_action)

    def run_screen_action(self, screen: Screen[Any], action: str) -> None:
        self.call_next(self.run_action, action, screen)


def run_walkthrough(
    settings: Any, survey_id: str, source: str | None, engine: str, record_dir: Path
) -> int:
    app = QaApp(QaSession(settings, survey_id, source, engine, record_dir=record_dir))
    app.run()
    return app.return_code or 0


def open_from_live_tree(app: Any) -> None:
    """`Q` in the live tree: walk the Qualtrics survey this survey was last pushed to."""
    from qtui.qualtrics.client import api_base
    from qtui.qualtrics.errors import ConfigurationError

    survey_id = app.survey_id
    settings = _with_demo_qualtrics(app)
    base = getattr(settings.qualtrics, "base_url", None)
    try:
        base_url = api_base(str(base)) if base else None
    except ConfigurationError:
        base_url = None
    demo = getattr(app.source, "demo", None)
    pushed = last_pushed_for(survey_id, base_url, demo) if survey_id else None
    if pushed is None:
        if demo is not None:
            advice = (
                "The demo has not pushed this survey to its Qualtrics sandbox yet: it does "
                "once programming completes (or press P to push it now)."
            )
        else:
            advice = (
                "This survey has not been pushed to Qualtrics yet: press P to push it (or "
                "qtui push SURVEY --to qualtrics)."
            )
        app.notify(advice, severity="warning")
        return
    survey = None
    if pushed.survey is not None:
        survey = Survey.model_validate(pushed.survey)
    else:
        survey = app.store.survey(survey_id)
    session = QaSession(settings, pushed.qualtrics_survey_id, survey=survey, engine="auto")
    app.push_screen(session.walkthrough_screen(app))


def last_pushed_for(survey_id: str, base_url: str | None, demo: Any = None) -> Any:
    """What `survey_id` was last pushed to: qtui's push records, and in the demo its own push.

    The demo pushes to its Qualtrics sandbox with a push state of its own (`demo.push_dir`);
    the survey it is fielding is preferred, since that is the one respondents take.
    """
    from qtui.qa.source import PushedSource, pushed_from

    found = [pushed_from(survey_id, base_url)]
    push_dir = getattr(demo, "push_dir", None)
    if push_dir is not None:
        found.append(pushed_from(survey_id, base_url, directory=push_dir))
    candidates = [p for p in found if p is not None]
    fielding = getattr(getattr(demo, "fielding", None), "survey_id", None)
    for pushed in candidates:
        if fielding and pushed.qualtrics_survey_id == fielding:
            return pushed
    if candidates:
        return candidates[0]
    if fielding:  # fielded, but with no record on this side: walk it with the tree's survey
        return PushedSource(survey_id, fielding, base_url, None)
    return None


def _with_demo_qualtrics(app: Any) -> Any:
    """The app's settings; in the demo without a configured Qualtrics, the demo's sandbox."""
    settings = app.settings
    if getattr(settings.qualtrics, "base_url", None):
        return settings
    demo = getattr(app.source, "demo", None)
    base_url = getattr(demo, "qualtrics_base_url", None)
    if not base_url:
        return settings
    from pydantic import SecretStr

    from qtui.config import QualtricsSettings

    token = SecretStr(str(getattr(demo, "qualtrics_token", "") or ""))
    qualtrics = QualtricsSettings(base_url=base_url, token=token)
    return settings.model_copy(update={"qualtrics": qualtrics})

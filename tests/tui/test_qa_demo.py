"""`Q` in the demo: the walkthrough of the survey the demo pushed and is fielding."""

from __future__ import annotations

from tests.fieldwork.test_demo import until
from tests.tui.conftest import make_app


def captured_notices(app, monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The messages the app notifies from now on (still shown as toasts)."""
    notices: list[str] = []
    notify = app.notify
    monkeypatch.setattr(
        app, "notify", lambda message, **kw: notices.append(message) or notify(message, **kw)
    )
    return notices


async def test_q_in_the_demo_walks_the_survey_the_demo_pushed(tmp_path, monkeypatch):
    from qtui.tui.screens.walkthrough import WalkthroughScreen
    from qtui.tui.sources import DemoSource

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # no push of ours: the demo's
    monkeypatch.chdir(tmp_path)
    source = DemoSource(speed=float("inf"), seed=5, fieldwork_rate=5)
    app = make_app(source, survey_id=None)
    notices = captured_notices(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: source.demo is not None)
        demo = source.demo
        await until(pilot, lambda: demo.fielding.survey_id is not None)
        await pilot.press("Q")

        def refused() -> list[str]:
            return [n for n in notices if "not pushed" in n or "not been pushed" in n]

        await until(pilot, lambda: isinstance(app.screen, WalkthroughScreen) or bool(refused()))
        assert not refused(), refused()
        screen = app.screen
        await until(pilot, lambda: screen.walk is not None and bool(screen.walk.visited))
        assert screen.walk.survey_id == demo.fielding.survey_id
        assert screen.walk.survey is not None  # the route is predicted from what was pushed
        demo._fieldwork.stop()


async def test_q_in_the_demo_before_its_push_gives_advice_for_the_demo(tmp_path, monkeypatch):
    from qtui.tui.screens.main import MainScreen
    from qtui.tui.sources import DemoSource

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    source = DemoSource(speed=1.0, seed=5, fieldwork_rate=5)  # programming takes a while
    app = make_app(source, survey_id=None)
    notices = captured_notices(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: source.demo is not None and app.survey_id is not None)
        await pilot.press("Q")
        await pilot.pause(0.3)
        assert notices
        assert isinstance(app.screen, MainScreen)
        assert "demo" in notices[0] and "qtui push" not in notices[0], notices
        source.demo._fieldwork.stop()

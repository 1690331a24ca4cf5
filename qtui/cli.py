"""qtui's command line: `qtui` runs the demo; subcommands for each job.

Subcommands live beside the code they drive and are imported only when used, so
`qtui --help` stays fast and a command's heavy imports never slow another.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from qtui import __version__

# name -> (module, attribute, one-line help shown by `qtui --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": (
        "qtui.tui.commands",
        "demo",
        "Watch a survey being programmed live, on the embedded sandbox.",
    ),
    "watch": ("qtui.tui.commands", "watch", "Watch a survey live on a real Questra and relay."),
    "replay": (
        "qtui.tui.commands",
        "replay",
        "Replay a recorded event stream (tree as text, JSON or TUI).",
    ),
    "open": (
        "qtui.tui.commands",
        "open_file",
        "Open a FullSurvey JSON file to edit and save, or a QSF file to read.",
    ),
    "serve": (
        "qtui.tui.web",
        "serve",
        "Serve the app (demo, watch or replay) to a web browser.",
    ),
    "relay": ("qtui.relay.command", "relay", "Run the webhook relay: receive, log, stream."),
    "sandbox": ("qtui.sandbox.command", "sandbox", "Run the Questra and Qualtrics emulators."),
    "push": ("qtui.qualtrics.commands", "push", "Compile a survey and push it to Qualtrics."),
    "qa": ("qtui.qa.command", "qa", "Take a pushed survey by hand, scripted, or every route."),
    "export": ("qtui.qsf.command", "export", "Compile a survey into a QSF file for Qualtrics."),
    "import": (
        "qtui.qsf.command",
        "import_",
        "Read a QSF file: into the Qualtrics sandbox, or as a FullSurvey.",
    ),
    "fieldwork": (
        "qtui.fieldwork.command",
        "fieldwork",
        "Print a survey's fieldwork figures from the relay's log.",
    ),
    "qualtrics": (
        "qtui.qualtrics.subscribe_command",
        "qualtrics",
        "Qualtrics account jobs: subscribe the relay to response events.",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attr, _ = COMMANDS[cmd_name]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return None
        return getattr(module, attr)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        # `--help` and `--version` write while the arguments are parsed.
        from qtui.exits import reader_gone_is_done

        with reader_gone_is_done():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        from qtui.exits import reader_gone_is_done

        with reader_gone_is_done():
            return super().invoke(ctx)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Every error one `qtui: …` line, exit codes as `qtui.exits` documents."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        from qtui.exits import run

        run(super().main, *args, **kwargs)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, _, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="qtui")
@click.pass_context
def main(ctx: click.Context) -> None:
    """qtui — program, push and QA market-research surveys from the terminal.

    With no command, runs the demo: a survey programmed live on the embedded sandbox.
    """
    if ctx.invoked_subcommand is None:
        demo = main.get_command(ctx, "demo")
        if demo is None:
            click.echo(ctx.get_help())
            return
        ctx.invoke(demo)

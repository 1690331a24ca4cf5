"""One exit code convention and one error line for every qtui command.

    0  ok
    1  failed (the service refused, the network failed, an internal error)
    2  usage or configuration error (a bad option, file or setting: fix the command)
    3  done, with issues (pushed with compile issues, a walkthrough with findings…)

Every error is one line on stderr starting `qtui: `; the text of files, payloads and
variables in it is escaped (`qtui.text.one_line`), so nothing read from outside can move
the cursor or colour the terminal. `run` wraps the command group so that no exception, not
even an unexpected one, reaches the user as a traceback (set QTUI_TRACEBACK=1 to see it).

When the reader of stdout goes away (`qtui push … | head -1`), the command stops there and
exits 0 with nothing on stderr, as `cat` or `grep` stop: what it had to do before writing is
done, and nobody is left to read the rest. (Click's own handling would exit 1 in silence.)
"""

from __future__ import annotations

import errno
import os
import select
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from qtui.text import one_line

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ISSUES = 0, 1, 2, 3


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print `qtui: message` on stderr and exit with `code`."""
    click.echo(f"qtui: {one_line(message, 500)}", err=True)
    sys.exit(code)


class UsageFailure(click.ClickException):
    """A problem the user fixes in the command, a file it names or the config (exit 2)."""

    exit_code = EXIT_USAGE


def _stdout_to_devnull() -> None:
    """Point stdout at /dev/null, so the flush at exit has nowhere to fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # stdout is not a file (a test's capture): nothing is flushed to a pipe
    finally:
        os.close(devnull)


def _stdout_reader_gone() -> bool:
    """True when stdout is a pipe or socket nobody reads any more (poll says POLLERR/HUP).

    A broken pipe elsewhere (a socket, a child's stdin) is a failure to report, not this.
    """
    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
    except (AttributeError, OSError, ValueError):
        return True  # no descriptor to ask (a capture), or no poll: trust the error
    poller.register(fd, select.POLLOUT)
    return any(flags & (select.POLLERR | select.POLLHUP) for _, flags in poller.poll(0))


@contextmanager
def reader_gone_is_done() -> Iterator[None]:
    """A closed pipe on stdout ends the command quietly with exit 0 (see the module doc)."""
    try:
        yield
        sys.stdout.flush()  # what is still buffered fails here, not at interpreter exit
    except OSError as exc:
        if exc.errno != errno.EPIPE or not _stdout_reader_gone():
            raise
        _stdout_to_devnull()
        raise click.exceptions.Exit(EXIT_OK) from None


def _usage_line(exc: click.UsageError) -> str:
    message = exc.format_message()
    ctx = exc.ctx
    if ctx is not None and ctx.command_path:
        return f"{message} (see `{ctx.command_path} --help`)"
    return message


def _is_config_error(exc: BaseException) -> bool:
    # Only a command that read the config can raise its error, and that command imported
    # qtui.config: the others (replay --print, relay…) never pay for importing it.
    config = sys.modules.get("qtui.config")
    return config is not None and isinstance(exc, config.ConfigError)


def run(main: Callable[..., Any], *args: Any, **kwargs: Any) -> NoReturn:
    """Run a click command in non-standalone mode and turn every outcome into an exit code."""
    try:
        code = main(*args, standalone_mode=False, **kwargs)
    except click.UsageError as exc:
        fail(_usage_line(exc), EXIT_USAGE)
    except click.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except click.Abort:
        fail("interrupted", EXIT_FAILED)
    except KeyboardInterrupt:
        fail("interrupted", EXIT_FAILED)
    except RecursionError:
        _traceback()
        fail("input nested too deeply to read; check the file or value you passed", EXIT_USAGE)
    except OSError as exc:
        if exc.errno == errno.EPIPE and _stdout_reader_gone():  # `| head` closed it: not ours
            _stdout_to_devnull()
            sys.exit(EXIT_OK)
        _traceback()
        fail(f"{exc.strerror or exc}", EXIT_FAILED)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        if _is_config_error(exc):
            fail(str(exc), EXIT_USAGE)
        _traceback()
        fail(
            f"internal error: {type(exc).__name__}: {exc} "
            "(a bug: please report it; QTUI_TRACEBACK=1 shows where)",
            EXIT_FAILED,
        )
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _traceback() -> None:
    if os.environ.get("QTUI_TRACEBACK"):
        import traceback

        traceback.print_exc()

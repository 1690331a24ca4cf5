"""The pip that the README's set-up commands use, for tests that build or install.

The set-up makes `.venv` with `--without-pip` and drives the system's pip into it, so the
interpreter running the tests may have no pip of its own: then the base interpreter's pip
is pointed at this one with `--python`.
"""

from __future__ import annotations

import importlib.util
import sys


def pip_command() -> list[str]:
    """`python -m pip` acting on the interpreter that runs the tests."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    base = getattr(sys, "_base_executable", None) or sys.executable
    return [base, "-m", "pip", "--python", sys.executable]


def system_pip_command() -> list[str]:
    """The base interpreter's pip, as the README's `python3 -m pip` is."""
    return [getattr(sys, "_base_executable", None) or sys.executable, "-m", "pip"]

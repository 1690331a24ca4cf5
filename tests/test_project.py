"""The project's promises about itself: the README's commands, CI, the core's purity."""

import re
import subprocess
import sys
from pathlib import Path

from tests.pip_command import system_pip_command

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    setup = text.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:sh|bash|console)?\n(.+?)\n```", setup)


def test_readme_opens_with_two_set_up_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].rstrip().endswith("qtui")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci


def test_importing_the_core_pulls_in_no_ui_or_network_library():
    code = (
        "import sys, qtui.core.models, qtui.core.events, qtui.core.store, qtui.core.outline\n"
        "import qtui.core.logic, qtui.core.routes, qtui.core.fieldwork\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'textual', 'httpx', 'websockets', 'starlette', 'uvicorn', 'sqlite3'})\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cli_lists_every_command_and_its_version():
    out = subprocess.run(
        [sys.executable, "-m", "qtui", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name in ("demo", "watch", "replay", "relay", "sandbox", "push", "qa"):
        assert re.search(rf"^\s+{name}\s", out, re.M), name
    version = subprocess.run(
        [sys.executable, "-m", "qtui", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.startswith("qtui, version ")


def test_code_is_ruff_clean():
    paths = [str(ROOT / p) for p in ("qtui", "tests", "bench", "scripts")]
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *paths], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout[-2000:]
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *paths], capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout[-2000:]


def test_the_set_up_commands_install_into_their_own_venv():
    """Debian's and Ubuntu's python3 refuse `pip install` outside a venv (PEP 668) and may
    lack ensurepip: both set-up commands create `.venv` without pip and drive the system's
    pip into it, then run what they installed from there."""
    for command in readme_commands():
        assert command.startswith("python3 -m venv --without-pip .venv && ")
        assert "python3 -m pip --python .venv/bin/python install" in command
        assert " .venv/bin/" in command.split("install", 1)[1]


def test_pip_can_install_into_a_venv_created_without_pip(tmp_path):
    """The mechanism the set-up commands rely on, with this machine's pip."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    out = subprocess.run(
        [*system_pip_command(), "--python", str(venv / "bin" / "python"), "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "qtui" not in out.stdout  # pip looked inside the new venv, not at this one

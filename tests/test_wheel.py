"""The wheel carries the stylesheets: built for real, unpacked, and the app's lookup finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.pip_command import pip_command

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("hatchling", reason="building the wheel needs hatchling (the test extra)")


@pytest.mark.slow
def test_the_wheel_ships_every_stylesheet_and_the_app_finds_them(tmp_path: Path) -> None:
    subprocess.run(
        [*pip_command(), "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("qtui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = sorted(p.name for p in (ROOT / "styles").glob("*.tcss"))
    assert sources and {f"qtui/styles/{name}" for name in sources} <= names
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    found = subprocess.run(
        [sys.executable, "-c", "from qtui.tui.style_files import styles_dir; print(styles_dir())"],
        env={"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert Path(found) == unpacked / "qtui" / "styles"

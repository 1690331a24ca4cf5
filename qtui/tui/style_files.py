"""Where the `.tcss` files are: `styles/` beside `qtui/` in a checkout, `qtui/styles/` in a wheel.

The wheel ships the top-level `styles/` inside the package (hatch `force-include` in
pyproject.toml), so `pip install .` finds them without the source tree.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # the qtui package


def styles_dir() -> Path:
    """The folder holding qtui's stylesheets (installed first, then the source checkout)."""
    for candidate in (PACKAGE / "styles", PACKAGE.parent / "styles"):
        if (candidate / "qtui.tcss").is_file():
            return candidate
    raise FileNotFoundError(
        f"qtui's stylesheets are missing (looked in {PACKAGE / 'styles'} and "
        f"{PACKAGE.parent / 'styles'}); reinstall qtui"
    )


def style_paths(*names: str) -> list[str | Path]:
    folder = styles_dir()
    return [folder / name for name in names]

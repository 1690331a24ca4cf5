"""Regenerate the sample event streams in qtui/samples/ (deterministic: same bytes every run).

python scripts/make_samples.py
"""

from __future__ import annotations

import asyncio

from qtui.samples import DIRECTORY
from qtui.samples.generate import write_all


def main() -> None:
    counts = asyncio.run(write_all(DIRECTORY))
    for name, count in counts.items():
        print(f"{DIRECTORY / name}: {count} events")


if __name__ == "__main__":
    main()

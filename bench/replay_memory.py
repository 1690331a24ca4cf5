"""`qtui replay --print` memory on a big recording, beside a bare baseline of the same stack.

    python bench/replay_memory.py [--mb 200]

Writes a recording of about `--mb` megabytes (the bundled screener run, repeated: every
repeat is a duplicate, so the survey it builds stays small and the memory measured is what
reading the file costs), then runs, each in a fresh process, and prints peak RSS (ru_maxrss):

* qtui: `qtui replay FILE --print` (reads line by line, never the whole file);
* baseline: the same Python and imports, `json.loads` of every line of the file, one line at a
  time, nothing kept — the least any reader of a JSON-lines file can hold.

Prints figures and their ratio; never passes or fails.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "qtui" / "samples" / "screener-run.jsonl"

BASELINE = """
import json
import qtui.core.store, qtui.core.events  # the same imports' weight
with open(PATH, "rb") as handle:
    for line in handle:
        json.loads(line)
"""
QTUI = """
import runpy, sys
sys.argv = ["qtui", "replay", PATH, "--print"]
try:
    runpy.run_module("qtui", run_name="__main__")
except SystemExit:
    pass
"""
# Each workload runs in a fresh process that reports its own peak RSS when done.
WRAPPER = """
import resource, sys, time
PATH = sys.argv[1]
started = time.perf_counter()
exec(sys.argv[2])
took = time.perf_counter() - started
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, took, file=sys.stderr)
"""


def _peak_of(code: str, path: Path) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of `code` run in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(path), code],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_kb, took = done.stderr.strip().splitlines()[-1].split()
    return int(peak_kb) / 1024, float(took)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    options = parser.parse_args()
    sample = SAMPLE.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.jsonl"
        with path.open("wb") as handle:
            for _ in range(options.mb * 1024 * 1024 // len(sample) + 1):
                handle.write(sample)
        size = path.stat().st_size / 1024 / 1024
        base_mb, base_s = _peak_of(BASELINE, path)
        qtui_mb, qtui_s = _peak_of(QTUI, path)
    print(f"recording: {size:.0f} MB, {SAMPLE.name} repeated")
    print(f"baseline (json.loads per line): peak RSS {base_mb:7.1f} MB  {base_s:6.1f} s")
    print(f"qtui replay --print:            peak RSS {qtui_mb:7.1f} MB  {qtui_s:6.1f} s")
    print(f"ratio qtui/baseline: memory {qtui_mb / base_mb:.2f}×, time {qtui_s / base_s:.2f}×")


if __name__ == "__main__":
    main()

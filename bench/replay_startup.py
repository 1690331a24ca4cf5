"""Start-up of `qtui replay FILE --print` against a bare Python doing the same work.

    python bench/replay_startup.py [--runs N] [--qtui PATH] [FILE]

The bare baseline is a fresh `python -c` that imports only json, reads the same recording,
decodes every line, keeps the last write of each item (a plain dict upsert) and prints one
line per page and block. Both are run as new processes, alternately, `--runs` times each
(default 15); medians and their ratio are printed. `--qtui` runs another installation's
`qtui` (e.g. a main checkout's) for a before/after figure. Prints figures; never passes or
fails on time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "qtui" / "samples" / "screener-run.jsonl"

BARE = """
import json, sys
items = {}
for line in open(sys.argv[1], "rb"):
    if not line.strip():
        continue
    body = json.loads(line)
    data = body.get("data") or {}
    kind = body["event"].rpartition(".")[0]
    key = (kind, data.get("id") or data.get("survey_id"))
    held = items.get(key)
    version = data.get("updated_at") or body.get("timestamp")
    if held is None or version >= held[0]:
        items[key] = (version, data)
pages = sorted((d for (k, _), (_, d) in items.items() if k == "page"), key=lambda p: p["order"])
for page in pages:
    print(page.get("name", ""))
    for (k, _), (_, block) in items.items():
        if k == "block" and block.get("page_id") == page["id"]:
            print("  ", (block.get("config") or {}).get("label") or "")
"""


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?", type=Path, default=SAMPLE)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--qtui", default=str(Path(sys.executable).with_name("qtui")))
    args = parser.parse_args()
    ours_command = [args.qtui, "replay", str(args.file), "--print"]
    bare_command = [sys.executable, "-c", BARE, str(args.file)]
    timed(ours_command)  # warm the file cache and the bytecode caches of both
    timed(bare_command)
    ours: list[float] = []
    bare: list[float] = []
    for _ in range(args.runs):
        ours.append(timed(ours_command))
        bare.append(timed(bare_command))
    med = statistics.median
    print(
        f"replay --print of {args.file.name}: qtui {med(ours) * 1000:.0f} ms vs bare python "
        f"(json + dict upsert + print) {med(bare) * 1000:.0f} ms (medians of {args.runs}): "
        f"ratio {med(ours) / med(bare):.2f}"
    )


if __name__ == "__main__":
    main()

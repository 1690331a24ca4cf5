"""QSF export, import and sandbox load of a large generated survey, beside a bare baseline.

    python -m bench.qsf [--pages 1000] [--per-page 21] [--rounds 5]

For the survey `bench.push` generates: compile + `to_qsf` (export), `to_full_survey`
(import as a FullSurvey) and `load_qsf` (what `POST /survey-definitions` with a QSF does:
every question, block and the flow checked and stored). The baseline is the bare stack the
file goes through anyway: `json.dumps` + `json.loads` of the same QSF document. Rounds
alternate; medians and the ratio to the baseline are printed. Figures only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.push import generate
from qtui.core.models import Survey
from qtui.qsf.convert import to_full_survey
from qtui.qsf.export import to_qsf
from qtui.qualtrics.compile import compile_survey
from qtui.sandbox.qualtrics.ids import IdMaker
from qtui.sandbox.qualtrics.qsf import load_qsf


def timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--per-page", type=int, default=21)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    survey = Survey.model_validate(generate(args.pages, args.per_page))
    document = to_qsf(compile_survey(survey))
    text = json.dumps(document)
    print(
        f"survey: {args.pages} pages, {sum(len(p.blocks) for p in survey.pages)} blocks; "
        f"QSF {len(text) / 1e6:.1f} MB"
    )
    ids = IdMaker(0)
    steps: dict[str, Callable[[], Any]] = {
        "baseline json dumps+loads": lambda: json.loads(json.dumps(document)),
        "export (compile + to_qsf)": lambda: to_qsf(compile_survey(survey)),
        "import (to_full_survey)": lambda: to_full_survey(document),
        "sandbox load (load_qsf)": lambda: load_qsf(json.loads(text), ids.survey(), ids.block),
    }
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, work in steps.items():
            times[name].append(timed(work))
    base = statistics.median(times["baseline json dumps+loads"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:28s} {median * 1000:8.1f} ms   ×{median / base:5.1f} the baseline")


if __name__ == "__main__":
    main()

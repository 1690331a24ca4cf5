"""`qtui relay` + `qtui sandbox --fieldwork` + `qtui push` + `qtui fieldwork`, as processes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.processes import interrupt
from qtui.sandbox.questionnaires import load as load_questionnaire
from tests.qualtrics.surveys import materialize


@contextmanager
def process(args: list[str], env: dict[str, str], ready: str) -> Iterator[str]:
    """Run `qtui ARGS`; yields the first stdout line matching `ready` (a URL)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "qtui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        for line in proc.stdout:
            found = re.search(ready, line)
            if found:
                yield found.group(1)
                break
            assert time.monotonic() < deadline, "never ready"
        else:
            raise AssertionError(f"qtui {args[0]} exited before it was ready")
    finally:
        interrupt(proc)


@pytest.mark.slow
def test_sandbox_fields_a_pushed_survey_and_qtui_fieldwork_reads_it(tmp_path: Path):
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
        "QTUI_QUALTRICS_HOOK_SECRET": "",
        "QTUI_OKTAVE_SECRET": "",
    }
    relay_args = ["relay", "--port", "0", "--db", str(tmp_path / "r.db"), "--secret", "qs"]
    relay_args += ["--oktave-secret", "ok", "--qualtrics-secret", "hs"]
    with process(relay_args, env, r"webhook\s+(http://\S+)/hooks/questra") as relay:
        sandbox_args = ["sandbox", "--port", "0", "--relay", relay, "--relay-secret", "qs"]
        sandbox_args += ["--oktave-secret", "ok", "--qualtrics-hook-secret", "hs"]
        sandbox_args += ["--fieldwork", "20", "--seed", "4"]
        with process(sandbox_args, env, r"Qualtrics sandbox\s+(http://\S+/API/v3)") as qualtrics:
            survey = tmp_path / "survey.json"
            survey.write_text(json.dumps(materialize(load_questionnaire("screener_sessions"))))
            env_q = {
                **env,
                "QTUI_QUALTRICS_BASE_URL": qualtrics,
                "QTUI_QUALTRICS_TOKEN": "qualtrics-sandbox-token",
            }
            pushed = subprocess.run(
                [sys.executable, "-m", "qtui", "push", str(survey), "--to", "qualtrics", "--json"],
                capture_output=True,
                text=True,
                env=env_q,
                timeout=120,
            )
            assert pushed.returncode in (0, 3), pushed.stderr
            survey_id = re.search(r"SV_[A-Za-z0-9]+", pushed.stdout).group(0)  # type: ignore[union-attr]
            figures: dict = {}
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                time.sleep(2)
                done = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "qtui",
                        "fieldwork",
                        survey_id,
                        "--relay",
                        relay,
                        "--json",
                    ],
                    capture_output=True,
                    text=True,
                    env=env_q,
                    timeout=60,
                )
                assert done.returncode == 0, done.stderr
                figures = json.loads(done.stdout)
                if figures["completed"] + figures["screened_out"] >= 3:
                    break
            assert figures["started"] >= figures["completed"] + figures["screened_out"] > 0
            assert figures["sources"]["qualtrics"] > 0
            assert figures["pages"] and figures["pages"][0]["reached"] > 0

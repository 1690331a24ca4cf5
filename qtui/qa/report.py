"""Reports of a coverage run: terminal text, Markdown, JUnit XML (one test case per route), JSON.

Every report says which engine walked the routes — "platform" (Qualtrics' sessions API) or
"local engine" (the sandbox's engine on the definition fetched from the platform) — and
never presents one as the other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from junitparser import Error, Failure, JUnitXml, Properties, Property, TestCase, TestSuite

from qtui.qa.plan import CoveragePlan, Target
from qtui.qa.run import CoverageRun, Divergence, WalkResult

KIND_WORDS = {"page": "pages", "rule": "rules", "outcome": "outcomes"}


def engine_phrase(engine: str) -> str:
    return "on the platform" if engine == "platform" else "in the local engine"


def coverage_line(run: CoverageRun) -> str:
    totals = run.plan.totals(run.covered)
    return ", ".join(f"{KIND_WORDS[k]} {got}/{of}" for k, (got, of) in totals.items())


def _name(plan: CoveragePlan, page_id: str | None) -> str:
    if page_id is None:
        return "the end of the survey"
    return plan.labels.get(page_id, page_id)


def _rule(plan: CoveragePlan, rule_id: str | None, tried: list[tuple[str, bool]] = ()) -> str:  # type: ignore[assignment]
    if rule_id is None:
        false = [plan.labels.get(r, r) for r, value in tried if not value]
        if false:
            return "no rule fired (next page in order): " + "; ".join(
                f"rule {label} is false" for label in false
            )
        return "no rule fired (next page in order)"
    return f"rule {plan.labels.get(rule_id, rule_id)}"


def _answers(answers: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in answers.items()) or "—"


def divergence_text(plan: CoveragePlan, divergence: Divergence) -> str:
    """One line: what was expected, what was reached, the rule and the answers."""
    if divergence.kind == "ending":
        return (
            f"ended {divergence.reached_ending!r} where {divergence.expected_ending!r} was "
            f"expected, after {_name(plan, divergence.after)} ({_rule(plan, divergence.rule)}); "
            f"answers: {_answers(divergence.answers)}"
        )
    after = f" after {_name(plan, divergence.after)}" if divergence.after else " at the start"
    return (
        f"page {divergence.step}: expected {_name(plan, divergence.expected)}, reached "
        f"{_name(plan, divergence.reached)}{after}; deciding: "
        f"{_rule(plan, divergence.rule, divergence.tried)}; "
        f"answers: {_answers(divergence.answers)}"
    )


def route_path(plan: CoveragePlan, result: WalkResult) -> str:
    return " → ".join(_name(plan, p) for p in result.prediction.shown)


def outcome_text(plan: CoveragePlan, result: WalkResult) -> str:
    if result.divergence is not None:
        return "DIVERGED: " + divergence_text(plan, result.divergence)
    if result.error is not None:
        return "ERROR: " + result.error
    return f"agrees ({result.ending})"


def text_report(run: CoverageRun) -> str:
    plan = run.plan
    lines = [
        f"Route coverage of {plan.survey_name!r} {engine_phrase(run.engine)} "
        f"({len(plan.routes)} routes, {run.seconds:.2f} s, {run.requests} requests)",
        f"  coverage: {coverage_line(run)}",
    ]
    if run.blockers:
        lines.append("  questions the sessions API cannot take:")
        lines += [f"    {b}" for b in run.blockers]
    for result in run.results:
        lines.append(f"  {result.route}: {outcome_text(plan, result)}")
        lines.append(f"      {route_path(plan, result)}")
    if plan.uncoverable:
        lines.append("  cannot be covered:")
        lines += [f"    {plan.label(u.target)}: {u.reason}" for u in plan.uncoverable]
    missing = [t for t in plan.goal if t not in run.covered]
    if missing and not run.divergences and not run.errors:
        lines.append("  not covered by any walk that agreed:")
        lines += [f"    {plan.label(t)}" for t in missing]
    return "\n".join(lines)


def markdown_report(run: CoverageRun) -> str:
    plan = run.plan
    verdict = (
        "❌ divergence"
        if run.divergences
        else "❌ error"
        if run.errors
        else "✅ all routes agree"
        if run.complete
        else "⚠️ incomplete coverage"
    )
    out = [
        f"## Route coverage: {_md(plan.survey_name)} — {verdict}",
        "",
        f"Walked {engine_phrase(run.engine)}: {len(plan.routes)} routes, "
        f"{run.seconds:.2f} s, {run.requests} requests.",
        "",
        "| | covered | of |",
        "| --- | ---: | ---: |",
    ]
    for kind, (got, of) in plan.totals(run.covered).items():
        out.append(f"| {KIND_WORDS[kind]} | {got} | {of} |")
    out += ["", "| route | result | pages |", "| --- | --- | --- |"]
    for result in run.results:
        out.append(
            f"| {result.route} | {_md(outcome_text(plan, result))} | "
            f"{_md(route_path(plan, result))} |"
        )
    if run.divergences:
        out += ["", "### Divergences", ""]
        for result in run.divergences:
            assert result.divergence is not None
            out.append(f"- **{result.route}**: {_md(divergence_text(plan, result.divergence))}")
    if plan.uncoverable:
        out += ["", "### Cannot be covered", ""]
        out += [f"- {_md(plan.label(u.target))}: {_md(u.reason)}" for u in plan.uncoverable]
    if run.blockers:
        out += ["", "### Questions the sessions API cannot take", ""]
        out += [f"- {_md(b)}" for b in run.blockers]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def junit_report(run: CoverageRun) -> JUnitXml:
    """One test suite, one test case per route; a divergence is a failure naming page and rule."""
    plan = run.plan
    suite = TestSuite(f"qtui qa {plan.survey_name} ({run.engine})")
    properties = Properties()
    for name, value in (
        ("engine", run.engine),
        ("survey", plan.survey_id),
        ("coverage", coverage_line(run)),
    ):
        properties.add_property(Property(name, value))
    suite.append(properties)
    classname = f"qtui.qa.{run.engine.replace(' ', '_')}"
    for result in run.results:
        case = TestCase(f"{result.route}: {route_path(plan, result)}", classname, result.seconds)
        if result.divergence is not None:
            failure = Failure(divergence_text(plan, result.divergence), "divergence")
            failure.text = _walk_transcript(plan, result)
            case.result = [failure]
        elif result.error is not None:
            error = Error(result.error, "walk_error")
            error.text = _walk_transcript(plan, result)
            case.result = [error]
        case.system_out = f"answers: {_answers(result.prediction.answers)}"
        suite.add_testcase(case)
    for missing in plan.uncoverable:
        if not missing.proven:
            case = TestCase(f"coverage: {plan.label(missing.target)}", classname, 0.0)
            case.result = [Failure(missing.reason, "incomplete_coverage")]
            suite.add_testcase(case)
    suite.update_statistics()
    xml = JUnitXml()
    xml.add_testsuite(suite)
    return xml


def _walk_transcript(plan: CoveragePlan, result: WalkResult) -> str:
    lines = [f"expected: {route_path(plan, result)}"]
    reached = " → ".join(_name(plan, p) for p in result.visited)
    lines.append(f"reached:  {reached}")
    for number, visit in enumerate(result.visits, start=1):
        lines.append(f"page {number} {_name(plan, visit.page_id)}: {_answers(visit.given)}")
        if visit.error:
            lines.append(f"  refused: {visit.error}")
    return "\n".join(lines)


def write_junit(run: CoverageRun, path: Path) -> None:
    junit_report(run).write(str(path), pretty=True)


def _target_json(plan: CoveragePlan, target: Target) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": target.kind, "id": target.item_id, "name": plan.label(target)}
    if target.outcome is not None:
        out["outcome"] = target.outcome
    return out


def json_report(run: CoverageRun) -> dict[str, Any]:
    plan = run.plan
    covered = run.covered

    def divergence(d: Divergence | None) -> dict[str, Any] | None:
        if d is None:
            return None
        return {
            "kind": d.kind,
            "step": d.step,
            "expected_page": d.expected,
            "reached_page": d.reached,
            "after_page": d.after,
            "rule": d.rule,
            "expected_ending": d.expected_ending,
            "reached_ending": d.reached_ending,
            "answers": d.answers,
            "message": divergence_text(plan, d),
        }

    return {
        "survey": {"id": plan.survey_id, "name": plan.survey_name},
        "engine": run.engine,
        "exit_code": run.exit_code,
        "seconds": round(run.seconds, 3),
        "requests": run.requests,
        "coverage": {
            KIND_WORDS[k]: {"covered": got, "of": of}
            for k, (got, of) in plan.totals(covered).items()
        },
        "complete": run.complete,
        "routes": [
            {
                "route": r.route,
                "agreed": r.agreed,
                "answers": r.prediction.answers,
                "expected_pages": r.prediction.shown,
                "visited_pages": r.visited,
                "expected_ending": r.prediction.disposition,
                "ending": r.ending,
                "divergence": divergence(r.divergence),
                "error": r.error,
                "requests": r.requests,
                "seconds": round(r.seconds, 3),
            }
            for r in run.results
        ],
        "uncoverable": [
            {**_target_json(plan, u.target), "reason": u.reason, "proven": u.proven}
            for u in plan.uncoverable
        ],
        "blockers": run.blockers,
    }

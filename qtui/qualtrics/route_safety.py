"""Routing safety for a push: what the push would do to where respondents go.

A push is refused by default (in the TUI and in `qtui push`, exit 3 with nothing sent) when
it would leave out a navigation rule — the compiler cannot express it, e.g. its condition
does not parse, so an under-18 screen-out would silently vanish — or change where a route
ends compared with the survey last pushed: a rule that was pushed is gone or leads
elsewhere, or an end page closes differently. Pure: from the survey, the compile issues and
the last pushed survey.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qtui.core.models import Survey

# Compile issues that mean a rule or a page is left out of the Qualtrics flow.
ROUTING_ISSUES = frozenset({"unknown_target", "backward_jump", "condition", "unreachable"})


@dataclass(frozen=True)
class RouteChange:
    item_id: str
    reason: str


def _rule_name(survey: Survey, rule_id: str) -> str | None:
    for page in survey.pages:
        for rule in page.navigation_rules:
            if rule.id == rule_id:
                target = survey.page(rule.target_page_id or "")
                return f"rule {page.name} → {target.name if target else '?'}"
    return None


def route_changes(
    survey: Survey, issues: Iterable[object], last: Survey | None
) -> list[RouteChange]:
    """Why this push would change routing (empty: it would not)."""
    out: list[RouteChange] = []
    for issue in issues:
        kind = getattr(issue, "kind", "")
        item_id = getattr(issue, "item_id", "")
        name = _rule_name(survey, item_id)
        if kind in ROUTING_ISSUES or name is not None:
            what = name or (
                f"page {survey.page(item_id).name}" if survey.page(item_id) else item_id
            )
            out.append(RouteChange(item_id, f"{what} is left out: {getattr(issue, 'reason', '')}"))
    if last is None:
        return out
    now_rules = {r.id: r for r in survey.rules()}
    for rule in last.rules():
        name = _rule_name(last, rule.id) or rule.id
        current = now_rules.get(rule.id)
        if current is None:
            out.append(RouteChange(rule.id, f"{name} was pushed last time and is gone now"))
        elif current.target_page_id != rule.target_page_id:
            target = survey.page(current.target_page_id or "")
            out.append(
                RouteChange(
                    rule.id, f"{name} now leads to {target.name if target else '?'} instead"
                )
            )
    for page in last.pages:
        now = survey.page(page.id)
        if now is not None and now.ends_survey != page.ends_survey:
            verb = "now ends the survey" if now.ends_survey else "no longer ends the survey"
            out.append(RouteChange(page.id, f"page {now.name} {verb}"))
        elif (
            now is not None
            and now.ends_survey
            and (now.assign_response_status != page.assign_response_status)
        ):
            out.append(
                RouteChange(
                    page.id,
                    f"page {now.name} closes as {now.assign_response_status} instead of "
                    f"{page.assign_response_status}",
                )
            )
    return out

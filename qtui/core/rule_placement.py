"""A navigation rule listed under one page while its `source_page_id` names another.

In a FullSurvey each page lists the rules that leave it, and each rule also names the page it
leaves (`source_page_id`). A hand-edited file can make the two disagree; the tree would show
the rule under one page while the compiler routes it from the other. Every command that reads
a FullSurvey file refuses such a file with this check's message (which rule, which two pages)
instead of choosing one silently. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from qtui.core.models import Survey


@dataclass(frozen=True, slots=True)
class MisplacedRule:
    rule_id: str
    listed_under: str  # the page whose navigation_rules holds the rule
    listed_name: str
    source_page_id: str  # the page the rule says it leaves
    source_name: str | None  # None: no page of the survey has that id

    def message(self) -> str:
        named = f"page {self.source_page_id!r}"
        if self.source_name is not None:
            named += f" ({self.source_name!r})"
        else:
            named += " (no such page)"
        return (
            f"navigation rule {self.rule_id!r} is listed under page {self.listed_under!r} "
            f"({self.listed_name!r}) but its source_page_id is {named}: move the rule under "
            "the page it leaves, or set its source_page_id to the page that lists it"
        )


def misplaced_rules(survey: Survey) -> list[MisplacedRule]:
    """Every rule whose `source_page_id` is set and is not the page that lists it."""
    names = {page.id: page.name or page.id for page in survey.pages}
    found = []
    for page in survey.pages:
        for rule in page.navigation_rules:
            source = rule.source_page_id
            if source and source != page.id:
                found.append(
                    MisplacedRule(rule.id, page.id, names[page.id], source, names.get(source))
                )
    return found


def placement_problem(survey: Survey, where: str) -> str | None:
    """One line naming the first misplaced rule of the survey read from `where` (and how many
    more), or None when every rule is listed under the page it leaves."""
    found = misplaced_rules(survey)
    if not found:
        return None
    more = f" ({len(found) - 1} more rule(s) like it)" if len(found) > 1 else ""
    return f"{where}: {found[0].message()}{more}"

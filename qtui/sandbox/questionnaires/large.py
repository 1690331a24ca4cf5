"""A generated survey of more than 1,000 pages and 20,000 blocks, for scale tests.

Built by code rather than stored: the same dict every time, in a fraction of a second.
Pages come in sections of 50; each page holds 20 blocks that cycle through every block
type. Each section has a variable counting a multi-select answer, and skip rules that read
a question or that variable; page 1 can terminate.
"""

from __future__ import annotations

from typing import Any

from qtui.sandbox.questionnaires.authoring import (
    autosum,
    card_sort,
    input_list,
    loop,
    matrix,
    move,
    multiple_choice,
    page,
    rank_order,
    recreate,
    revise_condition,
    reword,
    rule,
    text,
    text_input,
    variable,
)

PAGES = 1_050
BLOCKS_PER_PAGE = 20
SECTION = 50

YES_NO = [("1", "Yes"), ("2", "No")]
SCALE = [("1", "Low"), ("2", "Medium"), ("3", "High")]
ITEMS = [("a", "Option A"), ("b", "Option B"), ("c", "Option C")]


class _Numbering:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> str:
        self.n += 1
        return f"q{self.n}"


def _question(kind: int, q: _Numbering, where: str) -> dict[str, Any]:
    """One question block of the type `kind` selects, labelled with its place."""
    name = q.next()
    match kind:
        case 0:
            return multiple_choice(name, f"{where}: do you agree?", YES_NO)
        case 1:
            return multiple_choice(name, f"{where}: which apply?", ITEMS, multiple=True)
        case 2:
            return text_input(name, f"{where}: tell us more")
        case 3:
            return matrix(name, f"{where}: rate each", ITEMS, SCALE)
        case 4:
            return input_list(name, f"{where}: list up to three", ITEMS)
        case 5:
            return rank_order(name, f"{where}: rank these", ITEMS)
        case 6:
            return card_sort(name, f"{where}: sort these", ITEMS, SCALE)
        case _:
            return autosum(name, f"{where}: split 100 points", ITEMS)


def _page(index: int, q: _Numbering, section_variable: str) -> tuple[dict[str, Any], str, str]:
    """A page of 20 blocks; returns it with the names of its first MC and first multi-select."""
    where = f"Page {index}"
    first = q.n + 1
    blocks: list[dict[str, Any]] = [text(f"### {where}")]
    while len(blocks) < BLOCKS_PER_PAGE - 1:
        blocks.append(_question((len(blocks) - 1) % 8, q, where))
    # the Loop repeats this page's first two questions over the section's variable
    blocks.append(loop(section_variable, [f"q{first}", f"q{first + 1}"], f"{where}: each item"))
    return page(where, blocks), f"q{first}", f"q{first + 1}"


def questionnaire() -> dict[str, Any]:
    q = _Numbering()
    pages: list[dict[str, Any]] = []
    variables: list[dict[str, Any]] = []
    for index in range(1, PAGES + 1):
        section = (index - 1) // SECTION
        section_variable = f"s{section}_picks"
        built, first_mc, first_multi = _page(index, q, section_variable)
        if (index - 1) % SECTION == 0:
            variables.append(variable(section_variable, f"count({first_multi}.value)"))
        if index == 1:
            built["navigation_rules"].append(rule("Terminate", f"{first_mc}.value == '2'"))
        elif index % 10 == 5 and index + 2 <= PAGES:
            # skip the next page for one answer, or for respondents who picked a lot
            built["navigation_rules"].append(rule(f"Page {index + 2}", f"{first_mc}.value == '2'"))
            built["navigation_rules"].append(rule(f"Page {index + 2}", f"{section_variable} >= 3"))
        pages.append(built)
    pages.append(
        page("Complete", [text("Thank you for completing the survey.")], status="completed")
    )
    pages.append(page("Terminate", [text("Thank you; you do not qualify.")], status="terminated"))
    # page p holds q(18p-17)..q(18p): page 2 starts at q19, page 5 at q73, page 6 at q91;
    # the revised blocks below are read by no rule or variable
    return {
        "name": "Large generated survey",
        "pages": pages,
        "variables": variables,
        "revisions": [
            reword("q19", "Page 2: on reflection, do you agree?"),
            move("q103", "Page 7"),
            recreate(
                "q105", multiple_choice("q105", "Page 6: pick any that apply", ITEMS, multiple=True)
            ),
            revise_condition("Page 5", "Page 7", "q73.value == '2' or q74.value in ['a']"),
        ],
    }

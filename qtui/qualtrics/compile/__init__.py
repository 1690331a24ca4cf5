"""Questra survey → Qualtrics survey definition (questions, blocks, flow). Pure: no I/O.

`compile_survey(survey)` returns a `CompiledSurvey`: one Qualtrics block per page (a page with
a Loop over only some of its blocks is split, see below), a question definition per question
block, and a flow that reproduces the page routing. Whatever cannot be expressed in Qualtrics
is listed in `issues` with the item id and the reason — never dropped silently.

Stages, a module each: `layout` (pages → blocks), `questions` (a builder per block type),
`flow` (routing → survey flow), `compiler` (runs them); `model` holds what they produce.

The full mapping table and the routing encoding are explained in docs/qualtrics-mapping.md.
In short, routing uses one embedded-data field, `qtui_next_page`, as the page the respondent
goes to next: each page's rules (first true wins) set it, a page that some route skips is
wrapped in a Branch on it, pages every route passes through stay at the top level, and a
terminal page (`Page.ends_survey`: it assigns a closing response status, the rule routes use
too) ends the survey with an EndSurvey element (flagged `Screenout` for terminations).

Ids: the Qualtrics QIDs and BL_ ids of things not yet created are provisional (QID1…, or
QIDnew1… when a mapping of existing ones is given; BL_qtui…); `CompiledSurvey.bind` swaps in
the real ones once they exist.
"""

from __future__ import annotations

from qtui.qualtrics.compile.compiler import compile_survey
from qtui.qualtrics.compile.markup import markdown_html
from qtui.qualtrics.compile.model import (
    END_OF_SURVEY,
    NEXT_PAGE_FIELD,
    STATUS_FIELD,
    CompiledBlock,
    CompiledQuestion,
    CompiledSurvey,
    CompileIssue,
    rebind,
)

__all__ = [
    "END_OF_SURVEY",
    "NEXT_PAGE_FIELD",
    "STATUS_FIELD",
    "CompileIssue",
    "CompiledBlock",
    "CompiledQuestion",
    "CompiledSurvey",
    "compile_survey",
    "markdown_html",
    "rebind",
]

"""The questionnaires the sandbox's programming simulator builds surveys from.

`load(name)` returns a FullSurvey-shaped dict without ids (see `authoring` for the form);
`names()` lists what is bundled:

* `csat` — a five-page customer-satisfaction survey with an NPS question and a detractor
  follow-up reached by a rule on a variable;
* `screener` — a thirty-page brand study: screener questions with terminate rules, a
  heavy/light viewer split, a loop over the brands a respondent knows, every block type;
* `screener_sessions` — a twelve-page screener with only MultipleChoice, TextInput and
  Text blocks, for Qualtrics session walkthroughs (push it with `--for-sessions`: sessions
  show no descriptive text, so its text folds into the questions);
* `large` — generated: 1,052 pages and 21,002 blocks with rules and variables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtui.sandbox.questionnaires import csat, large, screener

_BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "csat": csat.questionnaire,
    "screener": screener.questionnaire,
    "screener_sessions": screener.sessions_questionnaire,
    "large": large.questionnaire,
}


class UnknownQuestionnaire(KeyError):
    """A questionnaire name that is not bundled."""

    def __str__(self) -> str:
        return f"no questionnaire named {self.args[0]!r}; choose one of {', '.join(names())}"


def names() -> list[str]:
    return sorted(_BUILDERS)


def load(name: str) -> dict[str, Any]:
    """A fresh copy of the named questionnaire (callers may change it freely)."""
    try:
        build = _BUILDERS[name]
    except KeyError:
        raise UnknownQuestionnaire(name) from None
    return build()


def choose(name: str, slug: str | None = None) -> str:
    """The questionnaire a survey called `name` gets: the first bundled name in it, else screener.

    `screener_sessions` is matched by "sessions" so that "Screener sessions" picks it.
    """
    text = f"{name} {slug or ''}".lower()
    if "session" in text:
        return "screener_sessions"
    for candidate in ("csat", "large", "screener"):
        if candidate in text:
            return candidate
    return "screener"

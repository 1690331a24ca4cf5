"""Routes through a survey: which pages a respondent sees, given their answers.

Navigation, as qtui models it: after a page, its navigation rules are tried in ``order``; the
first whose condition is true is taken (no condition = always). When none is taken the
respondent goes on to the next page by ``order``, and after the last page the survey ends.
Variables are computed from the answers before any condition is evaluated.

`flow` follows one route (:func:`route`); `checks` checks the page graph as a whole
(:func:`analyze`: unreachable pages, dead ends, loops, unknown names, syntax errors, answers
read before they are asked); `plans` finds one example set of answers per distinct route
(:func:`enumerate_routes`) for QA walks.
``docs/expressions.md`` describes the expression language and these rules for programmers.
"""

from qtui.core.routes.checks import Finding, RouteAnalysis, analyze
from qtui.core.routes.flow import Route, RouteStep, route, variable_order, with_variables
from qtui.core.routes.plans import RoutePlan, candidate_answers, enumerate_routes, untaken_rules

__all__ = [
    "Finding",
    "Route",
    "RouteAnalysis",
    "RoutePlan",
    "RouteStep",
    "analyze",
    "candidate_answers",
    "enumerate_routes",
    "route",
    "untaken_rules",
    "variable_order",
    "with_variables",
]

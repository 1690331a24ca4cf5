"""FullSurvey fixtures (Questra's JSON shape) for the Qualtrics tests."""

from __future__ import annotations

from typing import Any


def choices(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"value": value, "label": label} for value, label in pairs]


def block(block_id: str, page_id: str, order: int, **config: Any) -> dict[str, Any]:
    return {"id": block_id, "page_id": page_id, "order": order, "config": config}


def page(
    page_id: str,
    name: str,
    order: int,
    blocks: list[dict[str, Any]],
    rules: list[tuple[str, str | None]] = (),  # type: ignore[assignment]
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": page_id,
        "name": name,
        "order": order,
        "blocks": blocks,
        "navigation_rules": [
            {
                "id": f"{page_id}-r{i}",
                "source_page_id": page_id,
                "target_page_id": target,
                "condition": condition,
                "order": i,
            }
            for i, (target, condition) in enumerate(rules)
        ],
        **extra,
    }


NPS_CHOICES = choices(*[(str(i), str(i)) for i in range(11)])


def csat_survey() -> dict[str, Any]:
    """A customer-satisfaction survey: three routes out of the satisfaction question."""
    return {
        "id": "srv-csat",
        "slug": "csat",
        "name": "Customer satisfaction",
        "first_page_id": "p-intro",
        "pages": [
            page(
                "p-intro",
                "Intro",
                0,
                [
                    block(
                        "b-welcome",
                        "p-intro",
                        0,
                        type="Text",
                        content="**Welcome!**\n\nThis takes two minutes.",
                    ),
                ],
            ),
            page(
                "p-sat",
                "Satisfaction",
                1,
                [
                    block(
                        "b-q1",
                        "p-sat",
                        0,
                        type="MultipleChoice",
                        label="How satisfied are you with our service?",
                        choices=choices(
                            ("5", "Very satisfied"),
                            ("4", "Satisfied"),
                            ("3", "Neutral"),
                            ("2", "Dissatisfied"),
                            ("1", "Very dissatisfied"),
                        ),
                        allowMultiple=False,
                    ),
                ],
                rules=[("p-complaint", "unhappy"), ("p-improve", "q1.value == '3'")],
            ),
            page(
                "p-praise",
                "Praise",
                2,
                [
                    block("b-q2", "p-praise", 0, type="TextInput", label="What did you like?"),
                ],
                rules=[("p-recommend", None)],
            ),
            page(
                "p-complaint",
                "Complaint",
                3,
                [
                    block(
                        "b-q3",
                        "p-complaint",
                        0,
                        type="TextInput",
                        label="What went wrong?",
                        multiline=True,
                    ),
                ],
            ),
            page(
                "p-improve",
                "Improve",
                4,
                [
                    block(
                        "b-q4",
                        "p-improve",
                        0,
                        type="MultipleChoice",
                        label="What should we improve?",
                        choices=choices(("speed", "Speed"), ("price", "Price"), ("staff", "Staff")),
                        allowMultiple=True,
                    ),
                ],
            ),
            page(
                "p-recommend",
                "Recommend",
                5,
                [
                    block(
                        "b-q5",
                        "p-recommend",
                        0,
                        type="MultipleChoice",
                        label="How likely are you to recommend us?",
                        choices=NPS_CHOICES,
                    ),
                    block(
                        "b-q6",
                        "p-recommend",
                        1,
                        type="TextInput",
                        label="Why that score?",
                        showIf="q5.value <= 6 and q5.value != null",
                    ),
                ],
            ),
            page(
                "p-thanks",
                "Thanks",
                6,
                [
                    block("b-bye", "p-thanks", 0, type="Text", content="Thank you!"),
                ],
            ),
        ],
        "variables": [
            {"id": "v-unhappy", "name": "unhappy", "expression": "q1.value in ['1', '2']"},
            {"id": "v-sat", "name": "sat", "expression": "q1.value"},
        ],
    }


def screener_survey() -> dict[str, Any]:
    """MC, TE and NPS only, with two terminate rules and a complete page."""
    return {
        "id": "srv-screener",
        "slug": "screener",
        "name": "Panel screener",
        "first_page_id": "p-screen",
        "pages": [
            page(
                "p-screen",
                "Screener",
                0,
                [
                    block(
                        "b-s1",
                        "p-screen",
                        0,
                        type="MultipleChoice",
                        name="industry",
                        label="Do you work in market research?",
                        choices=choices(("yes", "Yes"), ("no", "No")),
                    ),
                    block(
                        "b-s2",
                        "p-screen",
                        1,
                        type="TextInput",
                        name="title",
                        label="Your job title",
                    ),
                ],
                rules=[("p-term", "industry.value == 'yes'")],
            ),
            page(
                "p-age",
                "Age",
                1,
                [
                    block(
                        "b-age",
                        "p-age",
                        0,
                        type="MultipleChoice",
                        name="age",
                        label="Your age group",
                        choices=choices(
                            ("u18", "Under 18"),
                            ("18-34", "18-34"),
                            ("35-54", "35-54"),
                            ("55+", "55 or over"),
                        ),
                    ),
                ],
                rules=[("p-term", "age.value == 'u18'")],
            ),
            page(
                "p-nps",
                "NPS",
                2,
                [
                    block(
                        "b-nps",
                        "p-nps",
                        0,
                        type="MultipleChoice",
                        name="nps",
                        label="How likely are you to recommend our panel?",
                        choices=NPS_CHOICES,
                    ),
                    block(
                        "b-why",
                        "p-nps",
                        1,
                        type="TextInput",
                        name="why",
                        label="What would make it a 10?",
                        showIf="nps.value < 9",
                    ),
                ],
            ),
            page(
                "p-done",
                "Complete",
                3,
                [
                    block("b-done", "p-done", 0, type="Text", content="Thanks, you qualify!"),
                ],
                assign_response_status="complete",
            ),
            page(
                "p-term",
                "Terminate",
                4,
                [
                    block("b-term", "p-term", 0, type="Text", content="Sorry, you do not qualify."),
                ],
                assign_response_status="terminated",
            ),
        ],
        "variables": [],
    }


def materialize(questionnaire: dict[str, Any], survey_id: str = "srv-bundled") -> dict[str, Any]:
    """A bundled questionnaire (no ids, rules name their target page) as a FullSurvey."""
    pages = questionnaire["pages"]
    page_ids = {p["name"]: f"p{i}" for i, p in enumerate(pages)}
    out_pages = []
    for i, source in enumerate(pages):
        pid = page_ids[source["name"]]
        blocks = []
        for j, item in enumerate(source["blocks"]):
            config = dict(item["config"])
            if config.get("type") == "Loop":
                # Loops name their blocks by reference name; FullSurvey lists block ids.
                config["blocks"] = [
                    f"{pid}-b{k}"
                    for k, other in enumerate(source["blocks"])
                    if other["config"].get("name") in item["config"].get("blocks", [])
                ]
            blocks.append({"id": f"{pid}-b{j}", "page_id": pid, "order": j, "config": config})
        rules = [
            {
                "id": f"{pid}-r{k}",
                "source_page_id": pid,
                "target_page_id": page_ids.get(rule["target"], rule["target"]),
                "condition": rule.get("condition"),
                "order": k,
            }
            for k, rule in enumerate(source.get("navigation_rules", []))
        ]
        entry = {
            "id": pid,
            "name": source["name"],
            "order": i,
            "blocks": blocks,
            "navigation_rules": rules,
        }
        if source.get("assign_response_status"):
            entry["assign_response_status"] = source["assign_response_status"]
        out_pages.append(entry)
    variables = [
        {"id": f"v{i}", **variable} for i, variable in enumerate(questionnaire.get("variables", []))
    ]
    return {
        "id": survey_id,
        "name": questionnaire.get("name", survey_id),
        "first_page_id": out_pages[0]["id"] if out_pages else None,
        "pages": out_pages,
        "variables": variables,
    }

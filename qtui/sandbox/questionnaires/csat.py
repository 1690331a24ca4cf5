"""A short customer-satisfaction survey: NPS, satisfaction, reasons, a detractor follow-up."""

from __future__ import annotations

from typing import Any

from qtui.sandbox.questionnaires.authoring import (
    move,
    multiple_choice,
    page,
    recreate,
    revise_condition,
    reword,
    rule,
    scale_0_10,
    text,
    text_input,
    variable,
)

DETRACTOR_SCORES = "['0', '1', '2', '3', '4', '5', '6']"

SATISFACTION = [
    ("5", "Very satisfied"),
    ("4", "Satisfied"),
    ("3", "Neutral"),
    ("2", "Dissatisfied"),
    ("1", "Very dissatisfied"),
]


def questionnaire() -> dict[str, Any]:
    return {
        "name": "Customer Satisfaction (CSAT)",
        "pages": [
            page(
                "Welcome",
                [
                    text(
                        "## Thanks for being an Acme customer\n\n"
                        "This short survey takes about two minutes. Your answers are "
                        "confidential and help us improve."
                    )
                ],
            ),
            page(
                "Recommendation",
                [
                    scale_0_10(
                        "q1",
                        "How likely are you to recommend Acme to a friend or colleague?",
                        "Not at all likely",
                        "Extremely likely",
                    )
                ],
            ),
            page(
                "Satisfaction",
                [
                    multiple_choice("q2", "How satisfied are you with our service?", SATISFACTION),
                    text_input(
                        "q3",
                        "What is the main reason for your score?",
                        multiline=True,
                        placeholder="Tell us in your own words",
                    ),
                ],
                [rule("Detractor follow-up", "is_detractor"), rule("Thank you")],
            ),
            page(
                "Detractor follow-up",
                [
                    multiple_choice(
                        "q4",
                        "What disappointed you most?",
                        [
                            "Product quality",
                            "Price",
                            "Customer support",
                            "Delivery times",
                            "Something else",
                        ],
                    ),
                    text_input(
                        "q5",
                        "What is one thing we could do better?",
                        multiline=True,
                        max_length=500,
                    ),
                ],
            ),
            page(
                "Thank you",
                [text("**Thank you!** Your feedback has been recorded.")],
                status="completed",
            ),
        ],
        "variables": [variable("is_detractor", f"q1.value in {DETRACTOR_SCORES}")],
        "revisions": [
            reword("q2", "Overall, how satisfied are you with Acme's service?"),
            move("q3", "Recommendation"),
            recreate(
                "q4",
                multiple_choice(
                    "q4",
                    "Which of these disappointed you most?",
                    [
                        "Product quality",
                        "Value for money",
                        "Customer support",
                        "Delivery times",
                        "Ease of ordering",
                        "Something else",
                    ],
                ),
            ),
            revise_condition(
                "Satisfaction", "Detractor follow-up", "is_detractor or q2.value in ['1', '2']"
            ),
        ],
    }

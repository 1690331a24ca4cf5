"""A streaming-services brand study: a screener with terminate rules, then the main survey.

Thirty pages. The screener (age, gender, region, occupation, industry security, past
participation, usage frequency, an attention check) sends anyone who does not qualify to
"Terminate". Qualified respondents answer brand awareness (feeding `aware_count` and
`aware_brands`), are routed to a heavy- or light-viewer section, loop over the brands they
know, and finish at "Complete". All nine block types appear.
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

TERMINATE = "Terminate"

AGE = [
    ("under_18", "Under 18"),
    ("18_24", "18–24"),
    ("25_34", "25–34"),
    ("35_44", "35–44"),
    ("45_54", "45–54"),
    ("55_64", "55–64"),
    ("65_plus", "65 or older"),
]
REGIONS = [
    ("northeast", "US – Northeast"),
    ("midwest", "US – Midwest"),
    ("south", "US – South"),
    ("west", "US – West"),
    ("outside_us", "Outside the United States"),
]
BRANDS = [
    ("streamflix", "Streamflix"),
    ("vidora", "Vidora"),
    ("kinoplus", "KinoPlus"),
    ("playtide", "Playtide"),
    ("cinemabox", "CinemaBox"),
    ("none", "None of these"),
]
AGREE = [
    ("1", "Strongly disagree"),
    ("2", "Somewhat disagree"),
    ("3", "Neither agree nor disagree"),
    ("4", "Somewhat agree"),
    ("5", "Strongly agree"),
]
FREQUENCY = [
    ("daily", "Every day"),
    ("few_week", "A few times a week"),
    ("weekly", "About once a week"),
    ("monthly", "A few times a month"),
    ("less", "Less often"),
    ("never", "Never"),
]


def _screener_pages() -> list[dict[str, Any]]:
    return [
        page(
            "Introduction",
            [
                text(
                    "## Welcome\n\nWe'd like your views on video streaming services. The "
                    "survey takes about 15 minutes. First, a few questions to check that the "
                    "study is a good fit for you."
                ),
                text(
                    "Your answers are confidential and reported only in aggregate. "
                    "See our privacy notice for details."
                ),
            ],
        ),
        page(
            "Age",
            [multiple_choice("q1", "Which of these age groups do you belong to?", AGE)],
            [rule(TERMINATE, "q1.value in ['under_18']")],
        ),
        page(
            "Gender",
            [
                multiple_choice(
                    "q2",
                    "How do you describe yourself?",
                    [
                        ("female", "Female"),
                        ("male", "Male"),
                        ("non_binary", "Non-binary"),
                        ("self_describe", "Prefer to self-describe"),
                        ("prefer_not", "Prefer not to say"),
                    ],
                ),
                text_input(
                    "q3",
                    "Please describe yourself:",
                    show_if="q2.value == 'self_describe'",
                ),
            ],
        ),
        page(
            "Region",
            [
                multiple_choice(
                    "q4",
                    "Where do you live?",
                    REGIONS,
                )
            ],
            [rule(TERMINATE, "q4.value == 'outside_us'")],
        ),
        page(
            "Occupation",
            [
                multiple_choice(
                    "q5",
                    "Which best describes your current employment status?",
                    [
                        ("full_time", "Employed full-time"),
                        ("part_time", "Employed part-time"),
                        ("self_employed", "Self-employed"),
                        ("student", "Student"),
                        ("homemaker", "Homemaker"),
                        ("retired", "Retired"),
                        ("unemployed", "Not currently employed"),
                    ],
                )
            ],
        ),
        page(
            "Industry",
            [
                multiple_choice(
                    "q6",
                    "Do you, or does anyone in your household, work in any of these "
                    "industries? Select all that apply.",
                    [
                        ("market_research", "Market research"),
                        ("advertising", "Advertising or public relations"),
                        ("media", "TV, film or video streaming"),
                        ("journalism", "Journalism"),
                        ("retail", "Retail"),
                        ("none", "None of these"),
                    ],
                    multiple=True,
                )
            ],
            [rule(TERMINATE, "q6.value in ['market_research', 'advertising', 'media']")],
        ),
        page(
            "Past participation",
            [
                multiple_choice(
                    "q7",
                    "When did you last take part in a market research study about entertainment?",
                    [
                        ("past_month", "In the past month"),
                        ("past_6_months", "1–6 months ago"),
                        ("longer", "More than 6 months ago"),
                        ("never", "Never"),
                    ],
                )
            ],
            [rule(TERMINATE, "q7.value == 'past_month'")],
        ),
        page(
            "Streaming usage",
            [
                multiple_choice(
                    "q8", "How often do you watch video on a streaming service?", FREQUENCY
                )
            ],
            [rule(TERMINATE, "q8.value in ['less', 'never']")],
        ),
        page(
            "Devices",
            [
                multiple_choice(
                    "q9",
                    "Which devices do you use to stream video? Select all that apply.",
                    [
                        ("smart_tv", "Smart TV"),
                        ("stick", "Streaming stick or box"),
                        ("console", "Games console"),
                        ("laptop", "Laptop or desktop"),
                        ("tablet", "Tablet"),
                        ("phone", "Smartphone"),
                    ],
                    multiple=True,
                )
            ],
        ),
        page(
            "Attention check",
            [
                multiple_choice(
                    "q10",
                    "To show that you are reading carefully, please select "
                    "'Somewhat disagree' below.",
                    AGREE,
                )
            ],
            [rule(TERMINATE, "q10.value != '2'")],
        ),
    ]


def _main_pages() -> list[dict[str, Any]]:
    return [
        page(
            "Brand awareness",
            [
                text("Thank you — you qualify for this study. Now some questions about brands."),
                multiple_choice(
                    "q11",
                    "Which of these streaming services have you heard of? Select all that apply.",
                    BRANDS,
                    multiple=True,
                ),
            ],
            [rule(TERMINATE, "aware_count == 0 or contains(q11.value, 'none')")],
        ),
        page(
            "Brand usage",
            [
                multiple_choice(
                    "q12",
                    "Which of these services do you currently subscribe to?",
                    BRANDS,
                    multiple=True,
                )
            ],
            # quota-like split: heavy viewers skip the light-viewer section
            [rule("Heavy viewing habits", "is_heavy_viewer")],
        ),
        page(
            "Light viewing",
            [
                multiple_choice(
                    "q13",
                    "What stops you from streaming more often? Select all that apply.",
                    [
                        ("price", "It costs too much"),
                        ("time", "Not enough time"),
                        ("content", "Not enough I want to watch"),
                        ("internet", "Slow internet connection"),
                        ("other", "Something else"),
                    ],
                    multiple=True,
                ),
                text_input("q14", "What else stops you?", show_if="contains(q13.value, 'other')"),
            ],
            [rule("Brand evaluation")],
        ),
        page(
            "Heavy viewing habits",
            [
                input_list(
                    "q15",
                    "Which were the last three shows or films you streamed?",
                    [("title_1", "Most recent"), ("title_2", "Second"), ("title_3", "Third")],
                ),
                multiple_choice(
                    "q16",
                    "About how many hours a week do you spend streaming?",
                    [
                        ("under_5", "Under 5 hours"),
                        ("5_10", "5–10 hours"),
                        ("11_20", "11–20 hours"),
                        ("over_20", "More than 20 hours"),
                    ],
                ),
            ],
        ),
        page(
            "Viewing occasions",
            [
                card_sort(
                    "q17",
                    "Sort each kind of programme by how you usually watch it.",
                    [
                        ("drama", "Drama series"),
                        ("comedy", "Comedy"),
                        ("documentary", "Documentaries"),
                        ("kids", "Children's programmes"),
                        ("sport", "Live sport"),
                        ("reality", "Reality TV"),
                    ],
                    [
                        ("alone", "Mostly alone"),
                        ("together", "Mostly with others"),
                        ("never", "I never watch this"),
                    ],
                )
            ],
        ),
        page(
            "Brand evaluation",
            [
                # the Loop covers the whole page, so a platform can loop it as one block
                loop("aware_brands", ["q18", "q19"], "Now, for each service you have heard of"),
                multiple_choice(
                    "q18",
                    "Overall, how would you rate this service?",
                    [
                        ("5", "Excellent"),
                        ("4", "Very good"),
                        ("3", "Good"),
                        ("2", "Fair"),
                        ("1", "Poor"),
                    ],
                ),
                text_input("q19", "Which one word best describes this service?", max_length=40),
            ],
        ),
        page(
            "Brand attributes",
            [
                matrix(
                    "q20",
                    "How much do you agree with each statement about your main service?",
                    [
                        ("value", "It is good value for money"),
                        ("variety", "It has a wide variety of content"),
                        ("ease", "It is easy to find something to watch"),
                        ("quality", "The picture and sound quality are excellent"),
                    ],
                    AGREE,
                )
            ],
        ),
        page(
            "Feature ranking",
            [
                rank_order(
                    "q21",
                    "Rank these features from most to least important to you.",
                    [
                        ("price", "Low monthly price"),
                        ("originals", "Original shows and films"),
                        ("ad_free", "No advertising"),
                        ("downloads", "Offline downloads"),
                        ("uhd", "4K / HDR quality"),
                    ],
                )
            ],
        ),
        page(
            "Budget allocation",
            [
                autosum(
                    "q22",
                    "Out of 100 points, how would you split your monthly entertainment budget?",
                    [
                        ("streaming", "Video streaming"),
                        ("cinema", "Cinema"),
                        ("music", "Music"),
                        ("gaming", "Video games"),
                        ("live", "Live events"),
                    ],
                    target=100,
                )
            ],
        ),
        page(
            "Price sensitivity",
            [
                multiple_choice(
                    "q23",
                    "If your main service raised its price by $3 a month, what would you do?",
                    [
                        ("keep", "Keep my current plan"),
                        ("downgrade", "Move to a cheaper plan"),
                        ("cancel", "Cancel"),
                        ("switch", "Switch to another service"),
                    ],
                )
            ],
            [rule("Content preferences", "q23.value not in ['cancel', 'switch']")],
        ),
        page(
            "Switching reasons",
            [
                text_input(
                    "q24",
                    "Which service would you move to, and why?",
                    multiline=True,
                )
            ],
        ),
        page(
            "Content preferences",
            [
                multiple_choice(
                    "q25",
                    "Which kinds of content do you watch most? Select up to three.",
                    [
                        ("drama", "Drama"),
                        ("comedy", "Comedy"),
                        ("action", "Action and adventure"),
                        ("documentary", "Documentary"),
                        ("sport", "Sport"),
                        ("kids", "Children's"),
                    ],
                    multiple=True,
                )
            ],
        ),
        page(
            "Advertising",
            [
                multiple_choice(
                    "q26",
                    "How many minutes of advertising per hour would you accept for a cheaper plan?",
                    [
                        ("none", "None"),
                        ("up_to_2", "Up to 2 minutes"),
                        ("up_to_4", "Up to 4 minutes"),
                        ("more", "More than 4 minutes"),
                    ],
                    attention="The questionnaire gives no price for the cheaper plan; "
                    "assumed the question is asked without one.",
                )
            ],
        ),
        page(
            "Household",
            [
                multiple_choice(
                    "q27",
                    "How many people live in your household, including you?",
                    [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5_plus", "5 or more")],
                ),
                multiple_choice(
                    "q28",
                    "Are there children under 18 in your household?",
                    [("yes", "Yes"), ("no", "No")],
                ),
            ],
            [rule("Income", "not is_parent")],
        ),
        page(
            "Children's viewing",
            [
                multiple_choice(
                    "q29",
                    "Which services do the children in your household watch?",
                    BRANDS,
                    multiple=True,
                )
            ],
        ),
        page(
            "Income",
            [
                multiple_choice(
                    "q30",
                    "What is your household's total annual income before taxes?",
                    [
                        ("under_50k", "Under $50,000"),
                        ("50_100k", "$50,000–$99,999"),
                        ("100_150k", "$100,000–$149,999"),
                        ("over_150k", "$150,000 or more"),
                        ("prefer_not", "Prefer not to say"),
                    ],
                )
            ],
        ),
        page(
            "Final thoughts",
            [
                text_input(
                    "q31",
                    "Is there anything else you would like to tell us about streaming?",
                    multiline=True,
                )
            ],
            [rule("Complete")],
        ),
        page(
            "Complete",
            [
                text(
                    "## Thank you!\n\nYou have completed the survey. You may now close this window."
                )
            ],
            status="completed",
        ),
        page(
            TERMINATE,
            [text("Thank you for your time. Unfortunately you do not qualify for this study.")],
            status="terminated",
        ),
    ]


def questionnaire() -> dict[str, Any]:
    pages = _screener_pages() + _main_pages()
    # "Final thoughts" → "Complete" is explicit, and "Complete" sits before "Terminate":
    # platforms end the survey at a page with a response status.
    return {
        "name": "Streaming Services Brand Study – Screener",
        "pages": pages,
        "variables": [
            variable("aware_count", "count(q11.value)"),
            variable("aware_brands", "q11.value"),
            variable("is_heavy_viewer", "q8.value in ['daily', 'few_week']"),
            variable("is_parent", "q28.value == 'yes'"),
        ],
        "revisions": [
            reword("q12", "Which of these services do you pay for at the moment?"),
            move("q16", "Streaming usage"),
            recreate(
                "q26",
                multiple_choice(
                    "q26",
                    "For a plan that costs $5 less a month, how much advertising per hour "
                    "would you accept?",
                    [
                        ("none", "None — I'd keep the ad-free plan"),
                        ("up_to_2", "Up to 2 minutes"),
                        ("up_to_4", "Up to 4 minutes"),
                        ("up_to_6", "Up to 6 minutes"),
                        ("more", "More than 6 minutes"),
                    ],
                ),
            ),
            revise_condition(
                "Streaming usage", TERMINATE, "q8.value in ['monthly', 'less', 'never']"
            ),
        ],
    }


def sessions_questionnaire() -> dict[str, Any]:
    """The screener cut down to MultipleChoice, TextInput and Text, for session walkthroughs
    (compiled `for_sessions`, its text folds into the questions)."""
    return {
        "name": "Streaming Screener – Sessions",
        "pages": [
            page("Introduction", [text("## Welcome\n\nA few questions about video streaming.")]),
            page(
                "Age",
                [multiple_choice("q1", "Which of these age groups do you belong to?", AGE)],
                [rule(TERMINATE, "q1.value in ['under_18']")],
            ),
            page(
                "Region",
                [
                    multiple_choice(
                        "q2",
                        "Where do you live?",
                        REGIONS,
                    )
                ],
                [rule(TERMINATE, "q2.value == 'outside_us'")],
            ),
            page(
                "Industry",
                [
                    multiple_choice(
                        "q3",
                        "Do you, or does anyone in your household, work in any of these "
                        "industries? Select all that apply.",
                        [
                            ("market_research", "Market research"),
                            ("advertising", "Advertising or public relations"),
                            ("retail", "Retail"),
                            ("none", "None of these"),
                        ],
                        multiple=True,
                    )
                ],
                [rule(TERMINATE, "q3.value in ['market_research', 'advertising']")],
            ),
            page(
                "Streaming usage",
                [multiple_choice("q4", "How often do you stream video?", FREQUENCY)],
                [rule(TERMINATE, "q4.value in ['less', 'never']")],
            ),
            page(
                "Brand awareness",
                [
                    multiple_choice(
                        "q5",
                        "Which of these streaming services have you heard of?",
                        BRANDS,
                        multiple=True,
                    ),
                    text_input(
                        "q6",
                        "Which other services have you heard of?",
                        show_if="contains(q5.value, 'none')",
                    ),
                ],
            ),
            page(
                "Recommendation",
                [
                    multiple_choice(
                        "q7",
                        "How likely are you to recommend your main streaming service to a friend?",
                        [(str(n), str(n)) for n in range(11)],
                    )
                ],
                [rule("Satisfaction", "q7.value not in ['0', '1', '2', '3', '4', '5', '6']")],
            ),
            page(
                "Detractor follow-up",
                [text_input("q8", "What would make you more likely to recommend it?")],
            ),
            page(
                "Satisfaction",
                [
                    multiple_choice(
                        "q9",
                        "How satisfied are you with your main streaming service?",
                        [
                            ("5", "Very satisfied"),
                            ("4", "Satisfied"),
                            ("3", "Neutral"),
                            ("2", "Dissatisfied"),
                            ("1", "Very dissatisfied"),
                        ],
                    )
                ],
            ),
            page(
                "Final thoughts",
                [text_input("q10", "Anything else you'd like to tell us?", multiline=True)],
                [rule("Complete")],
            ),
            page(
                "Complete",
                [text("## Thank you!\n\nYou have completed the survey.")],
                status="completed",
            ),
            page(
                TERMINATE,
                [text("Thank you for your time. Unfortunately you do not qualify.")],
                status="terminated",
            ),
        ],
        "variables": [],
        "revisions": [
            reword("q9", "Overall, how satisfied are you with your main streaming service?"),
            move("q6", "Recommendation"),
            recreate(
                "q8",
                text_input(
                    "q8",
                    "What one change would make you more likely to recommend it?",
                    multiline=True,
                ),
            ),
            revise_condition(
                "Streaming usage", TERMINATE, "q4.value in ['monthly', 'less', 'never']"
            ),
        ],
    }

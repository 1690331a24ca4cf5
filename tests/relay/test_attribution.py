"""Survey links read from the payloads of seeds 000 and 001."""

from __future__ import annotations

from qtui.relay.attribution import Links, Ref, event_kind, links_of

SURVEY = "a1b2c3d4-e5f6-4890-abcd-ef1234567890"
PAGE = "d1e2f3a4-b5c6-7890-defa-012345678901"
TARGET = "e2f3a4b5-c6d7-8901-efab-123456789012"
BLOCK = "e2f3a4b5-c6d7-8901-efab-123456789012"


def test_event_kind_handles_dotted_hyphenated_and_plain_names() -> None:
    assert event_kind("navigation_rule.created") == "navigation_rule"
    assert event_kind("changeset-awaiting-approval") == "changeset"
    assert event_kind("ping") == "ping"


def test_survey_event_names_itself() -> None:
    links = links_of("survey.deleted", {"id": SURVEY})
    assert links == Links(subject=Ref("survey", SURVEY), survey_id=SURVEY)


def test_programming_event_names_its_survey() -> None:
    data = {"survey_id": SURVEY, "file_id": "b9c8", "status": "completed"}
    assert links_of("programming.finished", data).survey_id == SURVEY


def test_page_event_names_its_survey_and_itself() -> None:
    links = links_of("page.created", {"id": PAGE, "survey_id": SURVEY, "name": "Screener"})
    assert links.subject == Ref("page", PAGE)
    assert links.survey_id == SURVEY


def test_block_event_points_at_its_page() -> None:
    links = links_of("block.created", {"id": BLOCK, "page_id": PAGE, "order": 0})
    assert links.subject == Ref("block", BLOCK)
    assert links.survey_id is None
    assert links.parent == Ref("page", PAGE)


def test_delete_carries_only_its_subject() -> None:
    links = links_of("block.deleted", {"id": BLOCK})
    assert links == Links(subject=Ref("block", BLOCK))


def test_navigation_rule_takes_survey_from_embedded_source_page() -> None:
    data = {
        "id": "rule-1",
        "source_page_id": PAGE,
        "target_page_id": TARGET,
        "sourcePage": {"id": PAGE, "survey_id": SURVEY},
        "targetPage": {"id": TARGET, "survey_id": SURVEY},
    }
    links = links_of("navigation_rule.created", data)
    assert links.survey_id == SURVEY
    assert links.parent == Ref("page", PAGE)
    assert set(links.known) == {(Ref("page", PAGE), SURVEY), (Ref("page", TARGET), SURVEY)}


def test_navigation_rule_without_embedded_pages_points_at_source_page() -> None:
    links = links_of("navigation_rule.updated", {"id": "rule-1", "source_page_id": PAGE})
    assert links.survey_id is None
    assert links.parent == Ref("page", PAGE)


def test_changeset_event_names_its_survey() -> None:
    data = {"id": "f7e6", "survey_id": SURVEY, "type": "ai_prompt", "status": "in_progress"}
    links = links_of("changeset-started", data)
    assert links.survey_id == SURVEY
    assert links.subject == Ref("changeset", "f7e6")


def test_camel_case_survey_id_is_understood() -> None:
    assert links_of("changeset-completed", {"id": "x", "surveyId": SURVEY}).survey_id == SURVEY


def test_data_that_is_not_an_object_has_no_links() -> None:
    assert links_of("page.created", ["not", "an", "object"]) == Links()
    assert links_of("page.created", None) == Links()


def test_non_string_ids_are_ignored() -> None:
    links = links_of("page.created", {"id": 7, "survey_id": {"nested": True}})
    assert links == Links()

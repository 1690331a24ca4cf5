"""A compiled survey as a QSF file, shaped as Qualtrics' own exports (tests/fixtures/qsf).

`SurveyEntry`, then `SurveyElements`: `BL` (the blocks as a list, the first the survey's
`Default` block, a `Trash` block last), `FL` (the flow), `SO` (survey options), `SCO`
(scoring), `PROJ`, `STAT`, `QC` (the question count) and one `SQ` per question. Ids are the
compiled ones (`QID1`…, `BL_qtui…`): "Import survey" keeps questions and flow and gives the
survey ids of its own.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from typing import Any

from qtui.qualtrics.compile import CompiledSurvey

OWNER_ID = "UR_qtuiExport000000"
NO_DATE = "0000-00-00 00:00:00"


def survey_id_for(key: str) -> str:
    """A stable `SV_` id (15 alphanumerics) for a survey, so exports of it compare equal."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return "SV_" + "".join(c for c in digest if c.isalnum())[:15]


def to_qsf(
    compiled: CompiledSurvey, *, language: str = "EN", now: datetime | None = None
) -> dict[str, Any]:
    """The QSF document of `compiled`."""
    sid = survey_id_for(compiled.survey_id)
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S")
    questions = compiled.question_list()
    blocks: list[dict[str, Any]] = []
    for index, block in enumerate(compiled.blocks):
        definition = block.definition()
        entry = {
            "Type": "Default" if index == 0 else "Standard",
            "SubType": "",
            "Description": definition["Description"],
            "ID": block.block_id,
            "BlockElements": definition["BlockElements"],
            "Options": definition["Options"],
        }
        if index == 0:
            del entry["SubType"]  # exports give the default block no SubType
        blocks.append(entry)
    blocks.append(
        {
            "Type": "Trash",
            "Description": "Trash / Unused Questions",
            "ID": "BL_qtuiTrash0000000",
            "BlockElements": [],
        }
    )
    elements = [
        _element(sid, "BL", "Survey Blocks", blocks),
        _element(sid, "FL", "Survey Flow", copy.deepcopy(compiled.flow)),
        _element(sid, "SO", "Survey Options", _options(compiled.name)),
        _element(
            sid,
            "SCO",
            "Scoring",
            {
                "ScoringCategories": [],
                "ScoringCategoryGroups": [],
                "ScoringSummaryCategory": None,
                "ScoringSummaryAfterQuestions": 0,
                "ScoringSummaryAfterSurvey": 0,
                "DefaultScoringCategory": None,
                "AutoScoringCategory": None,
            },
        ),
        _element(
            sid,
            "PROJ",
            "CORE",
            {"ProjectCategory": "CORE", "SchemaVersion": "1.1.0"},
            tertiary="1.1.0",
        ),
        _element(
            sid, "STAT", "Survey Statistics", {"MobileCompatible": True, "ID": "Survey Statistics"}
        ),
        _element(sid, "QC", "Survey Question Count", None, secondary=str(len(questions))),
    ]
    for question in questions:
        payload = {**copy.deepcopy(question.definition), "QuestionID": question.qid}
        elements.append(
            _element(
                sid,
                "SQ",
                question.qid,
                payload,
                secondary=str(payload.get("QuestionDescription") or question.qid),
            )
        )
    entry = {
        "SurveyID": sid,
        "SurveyName": compiled.name,
        "SurveyDescription": None,
        "SurveyOwnerID": OWNER_ID,
        "SurveyBrandID": "qtui",
        "DivisionID": None,
        "SurveyLanguage": language.upper(),
        "SurveyActiveResponseSet": None,
        "SurveyStatus": "Inactive",
        "SurveyStartDate": NO_DATE,
        "SurveyExpirationDate": NO_DATE,
        "SurveyCreationDate": stamp,
        "CreatorID": OWNER_ID,
        "LastModified": stamp,
        "LastAccessed": NO_DATE,
        "LastActivated": NO_DATE,
        "Deleted": None,
    }
    return {"SurveyEntry": entry, "SurveyElements": elements}


def _element(
    sid: str,
    kind: str,
    primary: str,
    payload: Any,
    *,
    secondary: str | None = None,
    tertiary: str | None = None,
) -> dict[str, Any]:
    return {
        "SurveyID": sid,
        "Element": kind,
        "PrimaryAttribute": primary,
        "SecondaryAttribute": secondary,
        "TertiaryAttribute": tertiary,
        "Payload": payload,
    }


def _options(name: str) -> dict[str, Any]:
    """Survey options as a new survey has them (keys and values from the exports)."""
    return {
        "BackButton": "false",
        "SaveAndContinue": "true",
        "SurveyProtection": "PublicSurvey",
        "BallotBoxStuffingPrevention": "false",
        "NoIndex": "Yes",
        "SecureResponseFiles": "true",
        "SurveyExpiration": "None",
        "SurveyTermination": "DefaultMessage",
        "Header": "",
        "Footer": "",
        "ProgressBarDisplay": "None",
        "PartialData": "+1 week",
        "ValidationMessage": None,
        "PreviousButton": " ← ",
        "NextButton": " → ",
        "SurveyTitle": name,
        "SkinType": "MQ",
        "NewScoring": 1,
        "EOSMessage": "",
        "ShowExportTags": "false",
        "CollectGeoLocation": "false",
        "PasswordProtection": "No",
        "AnonymizeResponse": "No",
        "RefererCheck": "No",
        "EmailThankYou": "false",
        "InactiveSurvey": "DefaultMessage",
        "AvailableLanguages": {"EN": []},
    }

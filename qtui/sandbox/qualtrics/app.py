"""`QualtricsSandbox`: a Starlette emulator of the Qualtrics v3 API, meant to be mounted at /API/v3.

Routes are relative (`/survey-definitions`, `/surveys/{id}/sessions`, …) so the same app works
mounted under `/API/v3` in the combined sandbox server or in a test's own Starlette app.
What it emulates, and the error codes it answers with, are in docs/qualtrics-sandbox.md.
"""

from __future__ import annotations

import collections
import copy
import math
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from qtui.sandbox.bodies import BodyError, read_json
from qtui.sandbox.qualtrics.definitions import (
    PROJECT_CATEGORIES,
    check_block,
    check_flow,
    check_question,
    flow_number,
    walk_flow,
)
from qtui.sandbox.qualtrics.engine import Session, check_supported
from qtui.sandbox.qualtrics.envelope import (
    AUTH,
    BAD_REQUEST,
    NOT_FOUND,
    RATE_LIMITED,
    SERVER,
    SESSION_ADVANCE_AND_CLOSE,
    SESSION_FINISHED,
    SESSION_UNAVAILABLE,
    UNKNOWN_REFERENCE,
    ApiError,
    bad_request,
    failure,
    not_found,
    success,
)
from qtui.sandbox.qualtrics.ids import IdMaker
from qtui.sandbox.qualtrics.qsf import load_qsf
from qtui.sandbox.qualtrics.store import OWNER_ID, SurveyRecord, iso_now, mysql_now
from qtui.sandbox.qualtrics.subscriptions import EventSubscriptions

Handler = Callable[[Request], Awaitable[Response]]

_MYSQL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_METADATA_FIELDS = (
    "SurveyName",
    "SurveyDescription",
    "SurveyStatus",
    "SurveyStartDate",
    "SurveyExpirationDate",
)


@dataclass
class _Failure:
    status: int
    path_contains: str | None
    skip: int = 0  # matching requests to let through first


class QualtricsSandbox:
    """An in-memory Qualtrics: survey definitions, publishing, sessions, responses.

    Test hooks: `fail_next(n, status, path_contains)` makes the next n matching requests fail;
    `.surveys` (survey id → `SurveyRecord`), `.sessions` and `.responses` (response id → the
    recorded response, in the Responses API shape; `responses_of(survey_id)` lists a survey's)
    can be inspected directly. `strict` (on by default) makes sessions refuse surveys holding
    question types the sessions API documents as unsupported; off, they show them anyway.
    """

    def __init__(
        self,
        token: str = "qualtrics-sandbox-token",
        *,
        rate_limit: int | None = None,
        rate_window: float = 60.0,
        datacenter: str = "sandbox",
        seed: int = 0,
        page_size: int = 100,
        empty_session_updates: bool = False,
        session_response_ids: bool = True,
        strict: bool = True,
    ) -> None:
        self.token = token
        # As Qualtrics' published Postman collection shows: an update answers `result: {}`
        # (clients read the state back with a GET), and a finished session need not name
        # its response.
        self.empty_session_updates = empty_session_updates
        self.session_response_ids = session_response_ids
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.datacenter = datacenter
        self.page_size = page_size
        self.seed = seed
        self.surveys: dict[str, SurveyRecord] = {}
        self.sessions: dict[str, Session] = {}
        self.strict = strict
        self.responses: dict[str, dict[str, Any]] = {}
        self.response_survey: dict[str, str] = {}  # response id → survey id
        self.subscriptions = EventSubscriptions()
        self.recipients: dict[str, str] = {}  # session id → RecipientID for callbacks
        self.request_count = 0
        self._ids = IdMaker(seed)
        self._failures: list[_Failure] = []
        self._calls: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )
        self.app = Starlette(
            routes=self._routes(),
            exception_handlers={HTTPException: self._http_exception},  # type: ignore[dict-item]
        )

    # --- test hooks ------------------------------------------------------------------------

    def fail_next(
        self, n: int, status: int = 500, path_contains: str | None = None, *, after: int = 0
    ) -> None:
        """Make the next `n` requests whose path contains `path_contains` fail with `status`.

        With `after`, that many matching requests succeed first (to fail a job half-way).
        """
        self._failures.extend(_Failure(status, path_contains, after) for _ in range(n))

    # --- plumbing --------------------------------------------------------------------------

    def _routes(self) -> list[Route]:
        e = self._endpoint
        sd = "/survey-definitions"
        return [
            Route(sd, e(self.create_survey), methods=["POST"]),
            Route(sd + "/{sid}", e(self.get_definition), methods=["GET"]),
            Route(sd + "/{sid}", e(self.delete_survey), methods=["DELETE"]),
            Route(sd + "/{sid}/metadata", e(self.get_metadata), methods=["GET"]),
            Route(sd + "/{sid}/metadata", e(self.put_metadata), methods=["PUT"]),
            Route(sd + "/{sid}/options", e(self.get_options), methods=["GET"]),
            Route(sd + "/{sid}/options", e(self.put_options), methods=["PUT"]),
            Route(sd + "/{sid}/questions", e(self.list_questions), methods=["GET"]),
            Route(sd + "/{sid}/questions", e(self.create_question), methods=["POST"]),
            Route(sd + "/{sid}/questions/{qid}", e(self.get_question), methods=["GET"]),
            Route(sd + "/{sid}/questions/{qid}", e(self.update_question), methods=["PUT"]),
            Route(sd + "/{sid}/questions/{qid}", e(self.delete_question), methods=["DELETE"]),
            Route(sd + "/{sid}/blocks", e(self.create_block), methods=["POST"]),
            Route(sd + "/{sid}/blocks/{bid}", e(self.get_block), methods=["GET"]),
            Route(sd + "/{sid}/blocks/{bid}", e(self.update_block), methods=["PUT"]),
            Route(sd + "/{sid}/blocks/{bid}", e(self.delete_block), methods=["DELETE"]),
            Route(sd + "/{sid}/flow", e(self.get_flow), methods=["GET"]),
            Route(sd + "/{sid}/flow", e(self.put_flow), methods=["PUT"]),
            Route(sd + "/{sid}/flow/{fid}", e(self.put_flow_element), methods=["PUT"]),
            Route(sd + "/{sid}/versions", e(self.list_versions), methods=["GET"]),
            Route(sd + "/{sid}/versions", e(self.create_version), methods=["POST"]),
            Route(sd + "/{sid}/versions/{vid}", e(self.get_version), methods=["GET"]),
            Route("/surveys", e(self.list_surveys), methods=["GET"]),
            Route("/surveys/{sid}", e(self.update_survey_legacy), methods=["PUT"]),
            Route("/surveys/{sid}/sessions", e(self.start_session), methods=["POST"]),
            Route("/surveys/{sid}/sessions/{session}", e(self.get_session), methods=["GET"]),
            Route("/surveys/{sid}/sessions/{session}", e(self.update_session), methods=["POST"]),
            Route("/surveys/{sid}/sessions/{session}", e(self.delete_session), methods=["DELETE"]),
            Route("/surveys/{sid}/responses/{rid}", e(self.get_response), methods=["GET"]),
            Route("/eventsubscriptions", e(self.create_subscription), methods=["POST"]),
            Route("/eventsubscriptions/", e(self.create_subscription), methods=["POST"]),
            Route("/eventsubscriptions", e(self.list_subscriptions), methods=["GET"]),
            Route("/eventsubscriptions/{sub}", e(self.get_subscription), methods=["GET"]),
            Route("/eventsubscriptions/{sub}", e(self.delete_subscription), methods=["DELETE"]),
        ]

    def _endpoint(self, handler: Callable[[Request], Awaitable[Any]]) -> Handler:
        async def endpoint(request: Request) -> Response:
            request_id = self._ids.request()
            self.request_count += 1
            try:
                self._authenticate(request)
                self._throttle(request)
                self._inject_failure(request)
                outcome = await handler(request)
            except ApiError as error:
                return failure(error, request_id)
            status, result = outcome if isinstance(outcome, tuple) else (200, outcome)
            return success(result, request_id, status)

        return endpoint

    async def _http_exception(self, request: Request, exc: HTTPException) -> Response:
        code = NOT_FOUND if exc.status_code == 404 else BAD_REQUEST
        message = (
            f"No such endpoint: {request.method} {request.url.path}."
            if exc.status_code in (404, 405)
            else str(exc.detail)
        )
        return failure(ApiError(exc.status_code, code, message), self._ids.request())

    def _authenticate(self, request: Request) -> None:
        given = request.headers.get("x-api-token")
        if given != self.token:
            raise ApiError(
                401,
                AUTH,
                "invalid_client: the X-API-TOKEN header is missing or does not match an API token.",
            )

    def _throttle(self, request: Request) -> None:
        if self.rate_limit is None:
            return
        now = time.monotonic()
        calls = self._calls[self.token]
        while calls and calls[0] <= now - self.rate_window:
            calls.popleft()
        if len(calls) >= self.rate_limit:
            wait = max(1, math.ceil(calls[0] + self.rate_window - now))
            raise ApiError(
                429,
                RATE_LIMITED,
                f"Too many requests: at most {self.rate_limit} per {self.rate_window:g} s for "
                f"this API token. Retry after {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        calls.append(now)

    def _inject_failure(self, request: Request) -> None:
        path = request.url.path
        for index, pending in enumerate(self._failures):
            if pending.path_contains is None or pending.path_contains in path:
                if pending.skip:
                    for later in self._failures[index:]:
                        if later.path_contains == pending.path_contains and later.skip:
                            later.skip -= 1
                    return
                del self._failures[index]
                code = SERVER if pending.status >= 500 else BAD_REQUEST
                raise ApiError(
                    pending.status,
                    code,
                    "An unexpected error occurred while processing the request.",
                )

    async def _body(self, request: Request, *, optional: bool = False) -> Any:
        try:
            return await read_json(request, empty={} if optional else None)
        except BodyError as exc:
            raise ApiError(exc.status, BAD_REQUEST, f"The request body {exc.reason}.") from None

    def _survey(self, request: Request) -> SurveyRecord:
        sid = request.path_params["sid"]
        survey = self.surveys.get(sid)
        if survey is None:
            raise not_found(f"Survey {sid}")
        return survey

    def _page(self, request: Request, items: list[Any]) -> dict[str, Any]:
        try:
            offset = max(0, int(request.query_params.get("offset", "0")))
        except ValueError as exc:
            raise bad_request("offset must be a whole number.") from exc
        end = offset + self.page_size
        next_page = str(request.url.include_query_params(offset=end)) if end < len(items) else None
        return {"elements": items[offset:end], "nextPage": next_page}

    # --- survey definitions ----------------------------------------------------------------

    async def create_survey(self, request: Request) -> tuple[int, dict[str, Any]]:
        body = await self._body(request)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        if "SurveyElements" in body:  # a QSF document: import it as it is
            record = load_qsf(body, self._ids.survey(), self._ids.block)
            record.datacenter = self.datacenter
            self.surveys[record.id] = record
            return 200, {"SurveyID": record.id, "DefaultBlockID": record.default_block_id}
        for name in ("SurveyName", "Language", "ProjectCategory"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                raise bad_request(f"{name} is required.")
        if body["ProjectCategory"] not in PROJECT_CATEGORIES:
            raise bad_request(
                f"ProjectCategory {body['ProjectCategory']!r} is not valid; expected one of "
                f"{', '.join(PROJECT_CATEGORIES)}."
            )
        sid, bid = self._ids.survey(), self._ids.block()
        self.surveys[sid] = SurveyRecord.new(
            sid, body["SurveyName"], body["Language"].upper(), body["ProjectCategory"], bid
        )
        self.surveys[sid].datacenter = self.datacenter
        return 200, {"SurveyID": sid, "DefaultBlockID": bid}

    async def get_definition(self, request: Request) -> dict[str, Any]:
        survey = self._survey(request)
        fmt = request.query_params.get("format")
        if fmt is not None and fmt != "qsf":
            raise bad_request("format must be 'qsf' when given.")
        return survey.qsf() if fmt == "qsf" else survey.definition(copied=False)

    async def delete_survey(self, request: Request) -> None:
        survey = self._survey(request)
        del self.surveys[survey.id]
        for rid in [r for r, s in self.response_survey.items() if s == survey.id]:
            del self.responses[rid]
            del self.response_survey[rid]
        for sid in [s for s, v in self.sessions.items() if v.survey_id == survey.id]:
            del self.sessions[sid]

    async def get_metadata(self, request: Request) -> dict[str, Any]:
        return self._survey(request).metadata()

    async def put_metadata(self, request: Request) -> None:
        survey = self._survey(request)
        body = await self._body(request)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        unknown = sorted(set(body) - set(_METADATA_FIELDS))
        if unknown:
            raise bad_request(
                f"Unknown metadata field {unknown[0]!r}; expected {', '.join(_METADATA_FIELDS)}."
            )
        status = body.get("SurveyStatus")
        if status is not None and status not in ("Active", "Inactive"):
            raise bad_request(f"SurveyStatus {status!r} is not valid; expected Active or Inactive.")
        for name in ("SurveyStartDate", "SurveyExpirationDate"):
            value = body.get(name)
            if value is not None and not (isinstance(value, str) and _MYSQL_DATETIME.match(value)):
                raise bad_request(
                    f"{name} must be a MySQL DATETIME string (YYYY-MM-DD HH:MM:SS), not {value!r}."
                )
        if "SurveyName" in body:
            if not isinstance(body["SurveyName"], str) or not body["SurveyName"].strip():
                raise bad_request("SurveyName must be a non-empty string.")
            survey.name = body["SurveyName"]
        if "SurveyDescription" in body:
            survey.description = body["SurveyDescription"]
        if status is not None:
            self._set_status(survey, status)
        survey.start_date = body.get("SurveyStartDate", survey.start_date)
        survey.expiration_date = body.get("SurveyExpirationDate", survey.expiration_date)
        survey.touch()

    def _set_status(self, survey: SurveyRecord, status: str) -> None:
        if status == "Active" and survey.status != "Active":
            survey.last_activated = mysql_now()
        survey.status = status

    async def get_options(self, request: Request) -> dict[str, Any]:
        return copy.deepcopy(self._survey(request).options)

    async def put_options(self, request: Request) -> None:
        survey = self._survey(request)
        body = await self._body(request)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object (the survey options).")
        survey.options = body
        survey.touch()

    # --- questions -------------------------------------------------------------------------

    async def list_questions(self, request: Request) -> dict[str, Any]:
        survey = self._survey(request)
        # Serialised straight away, so the live dicts can be handed over uncopied.
        return self._page(request, list(survey.questions.values()))

    async def create_question(self, request: Request) -> dict[str, Any]:
        survey = self._survey(request)
        question = check_question(await self._body(request))
        block_id = request.query_params.get("blockId") or survey.default_block_id
        if block_id not in survey.blocks:
            raise ApiError(
                400, UNKNOWN_REFERENCE, f"blockId {block_id} is not a block of survey {survey.id}."
            )
        number = survey.next_question
        survey.next_question += 1
        qid = f"QID{number}"
        question["QuestionID"] = qid
        if not question.get("DataExportTag"):
            question["DataExportTag"] = f"Q{number}"
        question.setdefault("QuestionDescription", _plain(question["QuestionText"])[:100])
        survey.questions[qid] = question
        survey.blocks[block_id]["BlockElements"].append({"Type": "Question", "QuestionID": qid})
        survey.touch()
        return {"QuestionID": qid}

    def _question(self, request: Request, survey: SurveyRecord) -> tuple[str, dict[str, Any]]:
        qid = request.path_params["qid"]
        if qid not in survey.questions:
            raise not_found(f"Question {qid} of survey {survey.id}")
        return qid, survey.questions[qid]

    async def get_question(self, request: Request) -> dict[str, Any]:
        survey = self._survey(request)
        return copy.deepcopy(self._question(request, survey)[1])

    async def update_question(self, request: Request) -> None:
        survey = self._survey(request)
        qid, old = self._question(request, survey)
        question = check_question(await self._body(request))
        if not question.get("DataExportTag"):
            # A PUT replaces the whole question; a real tenant refuses one without its tag.
            raise bad_request(
                f"DataExportTag is required when replacing question {qid}; send its tag "
                f"({old.get('DataExportTag') or 'Q' + qid[3:]!r}) or a new one."
            )
        question["QuestionID"] = qid
        question.setdefault("QuestionDescription", _plain(question["QuestionText"])[:100])
        survey.questions[qid] = question
        survey.touch()

    async def delete_question(self, request: Request) -> None:
        survey = self._survey(request)
        qid, _ = self._question(request, survey)
        survey.remove_question(qid)
        survey.touch()

    # --- blocks ----------------------------------------------------------------------------

    async def create_block(self, request: Request) -> dict[str, Any]:
        survey = self._survey(request)
        block = check_block(await self._body(request), survey.questions, creating=True)
        block_id = self._ids.block()
        block.pop("BlockID", None)
        block["ID"] = block_id
        block.setdefault("Options", {"BlockLocking": "false", "RandomizeQuestions": "false"})
        survey.blocks[block_id] = block
        flow_id = survey.next_flow_id()
        survey.flow.setdefault("Flow", []).append(
            {"Type": "Standard", "ID": block_id, "FlowID": flow_id, "Autofill": []}
        )
        survey.touch()
        return {"BlockID": block_id, "FlowID": flow_id}

    def _block(self, request: Request, survey: SurveyRecord) -> str:
        bid = request.path_params["bid"]
        if bid not in survey.blocks:
            raise not_found(f"Block {bid} of survey {survey.id}")
        return bid

    async def get_block(self, request: Request) -> dict[str, Any]:
        survey = self._survey(request)
        bid = self._block(request, survey)
        return {**copy.deepcopy(survey.blocks[bid]), "BlockID": bid}

    async def update_block(self, request: Request) -> None:
        survey = self._survey(request)
        bid = self._block(request, survey)
        block = check_block(await self._body(request), survey.questions, creating=False)
        old_type = survey.blocks[bid].get("Type")
        if old_type == "Default" and block["Type"] == "Standard":
            block["Type"] = "Default"  # the default block stays the default block
        block.pop("BlockID", None)
        block["ID"] = bid
        survey.blocks[bid] = block
        survey.touch()

    async def delete_block(self, request: Request) -> None:
        survey = self._survey(request)
        bid = self._block(request, survey)
        survey.remove_block(bid)
        survey.touch()

    # --- flow ------------------------------------------------------------------------------

    async def get_flow(self, request: Request) -> dict[str, Any]:
        return copy.deepcopy(self._survey(request).flow)

    async def put_flow(self, request: Request) -> None:
        survey = self._survey(request)
        survey.flow = check_flow(await self._body(request), survey.blocks, survey.questions)
        survey.touch()

    async def put_flow_element(self, request: Request) -> None:
        survey = self._survey(request)
        fid = request.path_params["fid"]
        body = await self._body(request)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object (one flow element).")
        candidate = copy.deepcopy(survey.flow)
        for element in walk_flow(candidate.get("Flow", [])):
            if element.get("FlowID") == fid:
                element.clear()
                element.update(body)
                element["FlowID"] = fid
                break
        else:
            raise not_found(f"Flow element {fid} of survey {survey.id}")
        highest = max(
            [flow_number(fid)]
            + [
                flow_number(e["FlowID"])
                for e in walk_flow(candidate["Flow"])
                if "FlowID" in e and isinstance(e["FlowID"], str) and e["FlowID"][3:].isdigit()
            ]
        )
        props = candidate.setdefault("Properties", {})
        props["Count"] = max(int(props.get("Count", 0)), highest)
        survey.flow = check_flow(candidate, survey.blocks, survey.questions)
        survey.touch()

    # --- versions --------------------------------------------------------------------------

    async def list_versions(self, request: Request) -> dict[str, Any]:
        survey = self._survey(request)
        return self._page(request, [copy.deepcopy(v["metadata"]) for v in survey.versions])

    async def create_version(self, request: Request) -> dict[str, Any]:
        survey = self._survey(request)
        body = await self._body(request)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        if not isinstance(body.get("Description"), str):
            raise bad_request("Description is required.")
        if not isinstance(body.get("Published"), bool):
            raise bad_request("Published is required and must be true or false.")
        now = iso_now()
        metadata = {
            "versionID": self._ids.version(),
            "versionNumber": len(survey.versions) + 1,
            "description": body["Description"],
            "surveyID": survey.id,
            "userID": OWNER_ID,
            "creationDate": now,
            "published": body["Published"],
            "wasPublished": body["Published"],
            "publishEvents": [{"date": now, "userID": OWNER_ID}] if body["Published"] else [],
        }
        snapshot = survey.snapshot()
        survey.versions.append({"metadata": metadata, "definition": snapshot})
        if body["Published"]:
            for version in survey.versions[:-1]:
                version["metadata"]["published"] = False
            survey.published = {**snapshot, "versionID": metadata["versionID"]}
        return {"metadata": copy.deepcopy(metadata)}

    async def get_version(self, request: Request) -> dict[str, Any]:
        survey = self._survey(request)
        vid = request.path_params["vid"]
        for version in survey.versions:
            if version["metadata"]["versionID"] == vid:
                return {
                    "metadata": copy.deepcopy(version["metadata"]),
                    **copy.deepcopy(version["definition"]),
                }
        raise not_found(f"Version {vid} of survey {survey.id}")

    # --- legacy /surveys -------------------------------------------------------------------

    async def list_surveys(self, request: Request) -> dict[str, Any]:
        items = [
            {
                "id": s.id,
                "name": s.name,
                "ownerId": OWNER_ID,
                "lastModified": s.last_modified,
                "creationDate": s.created,
                "isActive": s.status == "Active",
            }
            for s in self.surveys.values()
        ]
        return self._page(request, items)

    async def update_survey_legacy(self, request: Request) -> None:
        """`PUT /surveys/{id}` with `{"isActive": bool}` (and `name`): the older activation form."""
        survey = self._survey(request)
        body = await self._body(request)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        if "isActive" in body:
            if not isinstance(body["isActive"], bool):
                raise bad_request("isActive must be true or false.")
            self._set_status(survey, "Active" if body["isActive"] else "Inactive")
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"].strip():
                raise bad_request("name must be a non-empty string.")
            survey.name = body["name"]
        survey.touch()

    # --- sessions --------------------------------------------------------------------------

    async def start_session(self, request: Request) -> tuple[int, dict[str, Any]]:
        survey = self._survey(request)
        body = await self._body(request, optional=True)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        if survey.published is None:
            raise ApiError(
                400,
                SESSION_UNAVAILABLE,
                f"Survey {survey.id} has no published version; publish one (POST "
                "/survey-definitions/{surveyId}/versions with Published true) before starting "
                "sessions.",
            )
        if survey.status != "Active":
            raise ApiError(
                400,
                SESSION_UNAVAILABLE,
                f"Survey {survey.id} is not active (SurveyStatus {survey.status}); activate it "
                "before starting sessions.",
            )
        language = body.get("language", survey.language)
        if (
            not isinstance(language, str)
            or language.upper() != survey.published["SurveyLanguage"].upper()
        ):
            raise bad_request(
                f"language {language!r} is not enabled for this survey; use "
                f"{survey.published['SurveyLanguage']!r}."
            )
        embedded = body.get("embeddedData", {})
        if not isinstance(embedded, dict):
            raise bad_request("embeddedData must be an object of field names to values.")
        if self.strict:
            check_supported(survey.published)
        session_id = self._ids.session()
        session = Session(
            session_id,
            survey.id,
            survey.published,
            language=language.upper(),
            embedded=embedded,
            rng=random.Random(f"{self.seed}:{session_id}"),
            presentations=survey.presentations,
            version_id=survey.published.get("versionID"),
            started=iso_now(),
        )
        self.sessions[session_id] = session
        recipient = embedded.get("RecipientID")
        self.recipients[session_id] = str(recipient) if recipient else "MLRP_" + session_id[3:]
        self.subscriptions.started(survey.id, self.recipients[session_id], mysql_now())
        self._record_if_done(session)
        return 201, self._view(session)

    def _session(self, request: Request) -> Session:
        survey = self._survey(request)
        sid = request.path_params["session"]
        session = self.sessions.get(sid)
        if session is None or session.survey_id != survey.id:
            raise not_found(f"Session {sid} of survey {survey.id}")
        return session

    async def get_session(self, request: Request) -> dict[str, Any]:
        return self._view(self._session(request))

    def _view(self, session: Session) -> dict[str, Any]:
        view = session.view()
        if not self.session_response_ids:
            view.pop("responseId", None)
        return view

    async def update_session(self, request: Request) -> dict[str, Any]:
        session = self._session(request)
        body = await self._body(request)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        advance = _flag(body, "advance")
        close = _flag(body, "close")
        if advance and close:
            raise ApiError(
                400,
                SESSION_ADVANCE_AND_CLOSE,
                "advance and close cannot both be set in one update; send one.",
            )
        if session.done:
            raise ApiError(
                409,
                SESSION_FINISHED,
                f"Session {session.id} is finished (response {session.response_id}); "
                "start a new session.",
            )
        session.update(body, advance=advance, close=close)
        self._record_if_done(session)
        if self.empty_session_updates:
            return {}
        return self._view(session)

    async def delete_session(self, request: Request) -> None:
        session = self._session(request)
        del self.sessions[session.id]

    def _record_if_done(self, session: Session) -> None:
        if session.done and session.response_id is None:
            response_id = self._ids.response()
            session.response_id = response_id
            self.responses[response_id] = session.response(response_id, iso_now())
            self.response_survey[response_id] = session.survey_id
            recipient = self.recipients.get(session.id, "MLRP_" + session.id[3:])
            self.subscriptions.recorded(self.responses[response_id], recipient, session.survey_id)

    def responses_of(self, survey_id: str) -> list[dict[str, Any]]:
        """The responses recorded for a survey, oldest first."""
        return [self.responses[r] for r, s in self.response_survey.items() if s == survey_id]

    async def get_response(self, request: Request) -> dict[str, Any]:
        survey = self._survey(request)
        rid = request.path_params["rid"]
        response = self.responses.get(rid)
        if response is None or self.response_survey.get(rid) != survey.id:
            raise not_found(f"Response {rid} of survey {survey.id}")
        return copy.deepcopy(response)

    # --- event subscriptions (see subscriptions.py) ----------------------------------------

    async def create_subscription(self, request: Request) -> dict[str, Any]:
        return self.subscriptions.create(await self._body(request))

    async def list_subscriptions(self, request: Request) -> dict[str, Any]:
        return self._page(request, self.subscriptions.list())

    async def get_subscription(self, request: Request) -> dict[str, Any]:
        return self.subscriptions.get(request.path_params["sub"])

    async def delete_subscription(self, request: Request) -> None:
        self.subscriptions.delete(request.path_params["sub"])


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise bad_request(f"{name} must be true or false.")


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).strip()

"""The sandbox's REST endpoints: Questra's documented paths, and the inferred ones beside them.

Every request needs `Authorization: Bearer <api key>` (401 otherwise) and `X-Org-Id` naming
the sandbox's organisation (403 otherwise). Errors are JSON `{"error", "message"}`.
docs/questra-compat.md lists which paths are documented and which are inferred.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from qtui.sandbox.bodies import BodyError, read_json
from qtui.sandbox.questra import payloads as p
from qtui.sandbox.questra.errors import ApiError, invalid, not_found
from qtui.sandbox.questra.webhooks import EVENT_TYPES

if TYPE_CHECKING:
    from qtui.sandbox.questra.sandbox import QuestraSandbox

Handler = Callable[[Request], Awaitable[Response]]


class Authentication:
    """Checks the API key and organisation of every HTTP request before routing."""

    def __init__(self, app: ASGIApp, api_key: str, org_id: str) -> None:
        self.app = app
        self.api_key = api_key
        self.org_id = org_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = self.problem(Headers(scope=scope))
            if problem is not None:
                await _error_response(problem)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def problem(self, headers: Headers) -> ApiError | None:
        auth = headers.get("authorization")
        if not auth:
            return ApiError(
                401,
                "unauthorized",
                "missing Authorization header; send 'Authorization: Bearer <api key>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.api_key:
            return ApiError(
                401,
                "unauthorized",
                "invalid API key: it is wrong, revoked or deleted",
                headers={"WWW-Authenticate": "Bearer"},
            )
        org = headers.get("x-org-id")
        if not org:
            return ApiError(403, "forbidden", "missing X-Org-Id header; send your organization id")
        if org != self.org_id:
            return ApiError(403, "forbidden", f"this API key has no access to organization {org!r}")
        return None


def _error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        error = ApiError(404, "not_found", f"no such endpoint: {request.method} {request.url.path}")
    elif exc.status_code == 405:
        error = ApiError(
            405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}"
        )
    else:
        error = ApiError(exc.status_code, "error", str(exc.detail))
    return _error_response(error)


async def _read_json(request: Request) -> Any:
    try:
        return await read_json(request, empty={})
    except BodyError as exc:
        raise ApiError(exc.status, "bad_request", f"request body {exc.reason}") from None


def _ok(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


def _no_content() -> Response:
    return Response(status_code=204)


def build_app(sandbox: QuestraSandbox) -> Starlette:
    org = sandbox.org

    def survey_of(request: Request) -> dict[str, Any]:
        return org.survey(request.path_params["ref"])

    # --- surveys ------------------------------------------------------------------------

    async def list_surveys(request: Request) -> Response:
        surveys = sorted(org.surveys.values(), key=lambda s: (s["order"], s["created_at"]))
        return _ok([org.survey_object(s) for s in surveys])

    async def create_survey(request: Request) -> Response:
        body = p.parse_body(p.SurveyCreate, await _read_json(request))
        survey = org.create_survey(body.name, body.slug, body.order)
        return _ok(org.full_survey(survey), 201)

    async def get_survey(request: Request) -> Response:
        return _ok(org.full_survey(survey_of(request)))

    async def update_survey(request: Request) -> Response:
        survey = survey_of(request)
        body = p.parse_body(p.SurveyUpdate, await _read_json(request))
        org.ensure_editable(survey["id"])
        changes = {k: v for k, v in body.given().items() if v is not None}
        org.update_survey(survey["id"], **changes)
        out = org.survey_object(survey)
        if request.method == "PATCH":
            out.pop("paid_at", None)
            out["status_changeset"] = None
        return _ok(out)

    async def delete_survey(request: Request) -> Response:
        await sandbox.delete_survey(survey_of(request)["id"])
        return _no_content()

    async def set_destination(request: Request) -> Response:
        survey = survey_of(request)
        body = p.parse_body(p.DestinationBody, await _read_json(request))
        await sandbox.set_destination(
            survey["id"], body.target_platform.value, body.integration_id, body.existing_survey_id
        )
        return _ok(org.survey_object(survey))

    async def start_programming(request: Request) -> Response:
        survey = survey_of(request)
        body = p.parse_body(p.StartProgramming, await _read_json(request))
        result = await sandbox.start_programming(
            survey["id"], qa=body.qa, questionnaire=body.questionnaire, fail=body.fail
        )
        return _ok(result)

    # --- pages --------------------------------------------------------------------------

    async def list_pages(request: Request) -> Response:
        survey = survey_of(request)
        query = (request.query_params.get("query") or "").lower()
        pages = [pg for pg in org.pages_of(survey["id"]) if query in pg["name"].lower()]
        return _ok([org.page_object(pg, nested=True) for pg in pages])

    async def create_page(request: Request) -> Response:
        survey = survey_of(request)
        body = p.parse_body(p.PageCreate, await _read_json(request))
        org.ensure_editable(survey["id"])
        page = org.create_page(
            survey["id"],
            body.name,
            order=body.order,
            assign_response_status=body.assign_response_status,
        )
        return _ok(org.page_object(page, nested=True), 201)

    async def get_page(request: Request) -> Response:
        return _ok(org.page_object(org.page(request.path_params["id"]), nested=True))

    async def update_page(request: Request) -> Response:
        page = org.page(request.path_params["id"])
        body = p.parse_body(p.PageUpdate, await _read_json(request))
        org.ensure_editable(page["survey_id"], page["id"])
        changes = body.given()
        for name in ("name", "order"):
            if changes.get(name, "") is None:
                raise invalid(name, "cannot be null")
        org.update_page(page["id"], **changes)
        return _ok(org.page_object(page))

    async def delete_page(request: Request) -> Response:
        page = org.page(request.path_params["id"])
        org.ensure_editable(page["survey_id"], page["id"])
        org.delete_page(page["id"])
        return _no_content()

    # --- blocks -------------------------------------------------------------------------

    async def list_blocks(request: Request) -> Response:
        page = org.page(request.path_params["id"])
        return _ok([org.block_object(b) for b in org.blocks_of(page["id"])])

    async def create_block(request: Request) -> Response:
        page = org.page(request.path_params["id"])
        body = p.parse_body(p.BlockCreate, await _read_json(request))
        config = p.block_config(body.config)
        org.ensure_editable(page["survey_id"], page["id"])
        block = org.create_block(page["id"], config, order=body.order)
        return _ok(org.block_object(block), 201)

    async def get_block(request: Request) -> Response:
        return _ok(org.block_object(org.block(request.path_params["id"])))

    async def update_block(request: Request) -> Response:
        block = org.block(request.path_params["id"])
        body = p.parse_body(p.BlockUpdate, await _read_json(request))
        config = p.block_config(body.config) if body.config is not None else None
        page = org.pages[block["page_id"]]
        org.ensure_editable(page["survey_id"], page["id"])
        if body.page_id is not None and body.page_id != page["id"]:
            if body.page_id not in org.pages:
                raise invalid("page_id", f"page {body.page_id!r} does not exist")
            org.ensure_editable(page["survey_id"], body.page_id)
        org.update_block(block["id"], config=config, order=body.order, page_id=body.page_id)
        return _ok(org.block_object(block))

    async def delete_block(request: Request) -> Response:
        block = org.block(request.path_params["id"])
        page = org.pages[block["page_id"]]
        org.ensure_editable(page["survey_id"], page["id"])
        org.delete_block(block["id"])
        return _no_content()

    # --- variables ----------------------------------------------------------------------

    async def list_variables(request: Request) -> Response:
        survey = survey_of(request)
        return _ok([org.variable_object(v) for v in org.variables_of(survey["id"])])

    async def create_variable(request: Request) -> Response:
        survey = survey_of(request)
        body = p.parse_body(p.VariableCreate, await _read_json(request))
        org.ensure_editable(survey["id"])
        attention = body.attention_required.model_dump() if body.attention_required else None
        variable = org.create_variable(
            survey["id"], body.name, body.expression, attention_required=attention
        )
        return _ok(org.variable_object(variable), 201)

    async def get_variable(request: Request) -> Response:
        return _ok(org.variable_object(org.variable(request.path_params["id"])))

    async def update_variable(request: Request) -> Response:
        variable = org.variable(request.path_params["id"])
        body = p.parse_body(p.VariableUpdate, await _read_json(request))
        changes = body.given()
        if "name" in changes and changes["name"] is None:
            raise invalid("name", "cannot be null")
        org.ensure_editable(variable["survey_id"])
        org.update_variable(variable["id"], **changes)
        return _ok(org.variable_object(variable))

    async def delete_variable(request: Request) -> Response:
        variable = org.variable(request.path_params["id"])
        org.ensure_editable(variable["survey_id"])
        org.delete_variable(variable["id"])
        return _no_content()

    # --- navigation rules ---------------------------------------------------------------

    async def list_rules(request: Request) -> Response:
        page = org.page(request.path_params["id"])
        return _ok([org.rule_with_pages(r) for r in org.rules_of(page["id"])])

    async def create_rule(request: Request) -> Response:
        page = org.page(request.path_params["id"])
        body = p.parse_body(p.RuleCreate, await _read_json(request))
        org.ensure_editable(page["survey_id"], page["id"])
        rule = org.create_rule(page["id"], body.target_page_id, body.condition, order=body.order)
        return _ok(org.rule_with_pages(rule), 201)

    async def get_rule(request: Request) -> Response:
        return _ok(org.rule_with_pages(org.rule(request.path_params["id"])))

    async def update_rule(request: Request) -> Response:
        rule = org.rule(request.path_params["id"])
        body = p.parse_body(p.RuleUpdate, await _read_json(request))
        changes = body.given()
        for name in ("source_page_id", "target_page_id", "order"):
            if name in changes and changes[name] is None:
                raise invalid(name, "cannot be null")
        page = org.pages[rule["source_page_id"]]
        org.ensure_editable(page["survey_id"], page["id"])
        org.update_rule(rule["id"], **changes)
        return _ok(org.rule_object(rule))

    async def delete_rule(request: Request) -> Response:
        rule = org.rule(request.path_params["id"])
        page = org.pages[rule["source_page_id"]]
        org.ensure_editable(page["survey_id"], page["id"])
        org.delete_rule(rule["id"])
        return _no_content()

    # --- webhooks -----------------------------------------------------------------------

    def check_events(events: list[str] | None) -> None:
        for i, event in enumerate(events or []):
            if event not in EVENT_TYPES:
                raise invalid(
                    f"events.{i}",
                    f"unknown event type {event!r}; expected one of {', '.join(EVENT_TYPES)}",
                )

    def hook_of(request: Request) -> Any:
        hook = sandbox.dispatcher.hooks.get(request.path_params["id"])
        if hook is None:
            raise not_found("webhook", request.path_params["id"])
        return hook

    async def list_webhooks(request: Request) -> Response:
        return _ok([h.public() for h in sandbox.dispatcher.hooks.values()])

    async def create_webhook(request: Request) -> Response:
        body = p.parse_body(p.WebhookCreate, await _read_json(request))
        check_events(body.events)
        hook = sandbox.create_webhook(body.url, body.events, body.description, body.secret)
        return _ok(hook, 201)

    async def get_webhook(request: Request) -> Response:
        return _ok(hook_of(request).public())

    async def update_webhook(request: Request) -> Response:
        hook = hook_of(request)
        body = p.parse_body(p.WebhookUpdate, await _read_json(request))
        changes = body.given()
        check_events(changes.get("events"))
        for name in ("url", "events", "active"):
            if name in changes and changes[name] is None:
                raise invalid(name, "cannot be null")
        return _ok(sandbox.update_webhook(hook.id, **changes))

    async def delete_webhook(request: Request) -> Response:
        sandbox.delete_webhook(hook_of(request).id)
        return _no_content()

    async def rotate_webhook(request: Request) -> Response:
        return _ok(sandbox.rotate_webhook(hook_of(request).id))

    async def test_webhook(request: Request) -> Response:
        return _ok(await sandbox.test_webhook(hook_of(request).id))

    async def list_deliveries(request: Request) -> Response:
        hook = hook_of(request)
        try:
            limit = int(request.query_params.get("limit", "25"))
            start = int(request.query_params.get("cursor") or "0")
        except ValueError:
            raise invalid("limit", "limit and cursor must be integers") from None
        if not 1 <= limit <= 100:
            raise invalid("limit", "must be between 1 and 100")
        newest_first = list(reversed(sandbox.dispatcher.records.get(hook.id, ())))
        page = newest_first[start : start + limit]
        after = start + limit
        return _ok({"data": page, "nextCursor": str(after) if after < len(newest_first) else None})

    async def get_delivery(request: Request) -> Response:
        hook = hook_of(request)
        wanted = request.path_params["delivery_id"]
        for record in sandbox.dispatcher.records.get(hook.id, ()):
            if record["id"] == wanted:
                return _ok(record)
        raise not_found("delivery", wanted)

    routes = [
        Route("/surveys", list_surveys, methods=["GET"]),
        Route("/surveys", create_survey, methods=["POST"]),
        Route("/surveys/{ref}", get_survey, methods=["GET"]),
        Route("/surveys/{ref}", update_survey, methods=["PUT", "PATCH"]),
        Route("/surveys/{ref}", delete_survey, methods=["DELETE"]),
        Route("/surveys/{ref}/destination", set_destination, methods=["PUT"]),
        Route("/surveys/{ref}/start-programming", start_programming, methods=["POST"]),
        Route("/surveys/{ref}/pages", list_pages, methods=["GET"]),
        Route("/surveys/{ref}/pages", create_page, methods=["POST"]),
        Route("/surveys/{ref}/variables", list_variables, methods=["GET"]),
        Route("/surveys/{ref}/variables", create_variable, methods=["POST"]),
        Route("/pages/{id}", get_page, methods=["GET"]),
        Route("/pages/{id}", update_page, methods=["PUT"]),
        Route("/pages/{id}", delete_page, methods=["DELETE"]),
        Route("/pages/{id}/blocks", list_blocks, methods=["GET"]),
        Route("/pages/{id}/blocks", create_block, methods=["POST"]),
        Route("/pages/{id}/navigation-rules", list_rules, methods=["GET"]),
        Route("/pages/{id}/navigation-rules", create_rule, methods=["POST"]),
        Route("/blocks/{id}", get_block, methods=["GET"]),
        Route("/blocks/{id}", update_block, methods=["PUT"]),
        Route("/blocks/{id}", delete_block, methods=["DELETE"]),
        Route("/variables/{id}", get_variable, methods=["GET"]),
        Route("/variables/{id}", update_variable, methods=["PUT"]),
        Route("/variables/{id}", delete_variable, methods=["DELETE"]),
        Route("/navigation-rules/{id}", get_rule, methods=["GET"]),
        Route("/navigation-rules/{id}", update_rule, methods=["PUT"]),
        Route("/navigation-rules/{id}", delete_rule, methods=["DELETE"]),
        Route("/webhooks", list_webhooks, methods=["GET"]),
        Route("/webhooks", create_webhook, methods=["POST"]),
        Route("/webhooks/{id}", get_webhook, methods=["GET"]),
        Route("/webhooks/{id}", update_webhook, methods=["PATCH"]),
        Route("/webhooks/{id}", delete_webhook, methods=["DELETE"]),
        Route("/webhooks/{id}/rotate", rotate_webhook, methods=["POST"]),
        Route("/webhooks/{id}/test", test_webhook, methods=["POST"]),
        Route("/webhooks/{id}/deliveries", list_deliveries, methods=["GET"]),
        Route("/webhooks/{id}/deliveries/{delivery_id}", get_delivery, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(Authentication, api_key=sandbox.api_key, org_id=sandbox.org_id)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
        lifespan=sandbox.lifespan,
    )

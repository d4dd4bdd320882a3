"""NGSI-LD API (ETSI GS CIM 009 subset): entities, batch upsert, subscriptions, contexts.

Errors are RFC 7807 ProblemDetails with NGSI-LD error types; each also carries our usual
`error` member ({code, message, details}) so clients of the rest of the API read it alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from quancheng.api.deps import PrincipalDep, ServicesDep
from quancheng.api.schemas import PROBLEM_RESPONSES
from quancheng.errors import (
    BadRequest,
    Conflict,
    HttpError,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    PlatformError,
)
from quancheng.operations import codec, ngsi
from quancheng.operations.entities import MAX_LIMIT, EntityQuery

PREFIX = "/ngsi-ld/v1"
NGSI_ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
LD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
CONTEXT_FILES = (ngsi.CORE_CONTEXT_NAME, ngsi.CITY_CONTEXT_NAME)
_TITLES = {
    "BadRequestData": "Bad request data",
    "InvalidRequest": "Invalid request",
    "ResourceNotFound": "Resource not found",
    "AlreadyExists": "Already exists",
    "OperationNotSupported": "Operation not supported",
    "InternalError": "Internal error",
}


def problem_type(exc: PlatformError) -> str:
    """The NGSI-LD error type of a platform error (our own URN for 401 and 403)."""
    if exc.code in _TITLES:
        return NGSI_ERRORS + exc.code
    if isinstance(exc, NotAuthenticated | PermissionDenied):
        return f"urn:quancheng:errors:{exc.code}"
    if isinstance(exc, NotFound):
        return NGSI_ERRORS + "ResourceNotFound"
    if isinstance(exc, Conflict):
        return NGSI_ERRORS + "AlreadyExists"
    if isinstance(exc, BadRequest | PayloadTooLarge) or 400 <= exc.status < 500:
        return NGSI_ERRORS + "BadRequestData"
    return NGSI_ERRORS + "InternalError"


def problem_details(exc: PlatformError) -> dict[str, Any]:
    """The ProblemDetails body of an error (with our `error` member alongside)."""
    kind = problem_type(exc)
    name = kind.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    body: dict[str, Any] = {
        "type": kind,
        "title": _TITLES.get(name, name.replace("_", " ").capitalize()),
        "status": exc.status,
        "detail": exc.message,
    }
    body.update(exc.body())
    return body


def problem_response(exc: PlatformError) -> JSONResponse:
    """The HTTP answer of an error on an NGSI-LD route."""
    return JSONResponse(problem_details(exc), status_code=exc.status)


def _has_nul(request: Request) -> bool:
    """Whether the path or a query parameter holds a NUL character."""
    items = request.query_params.multi_items()
    return "\x00" in request.url.path or any("\x00" in k + v for k, v in items)


class NgsiRoute(APIRoute):
    """A route whose errors (including auth and body validation) are ProblemDetails."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler wrapped so that errors become ProblemDetails."""
        handler = super().get_route_handler()

        async def wrapped(request: Request) -> Response:
            accept = _unacceptable(request)
            if accept is not None:
                refused = HttpError(
                    406,
                    "not_acceptable",
                    "answers are application/json or application/ld+json",
                    details={"accept": accept[:200]},
                )
                return problem_response(refused)
            if _has_nul(request):
                # PostgreSQL text cannot hold NUL: refuse here rather than fail in the database.
                nul = ngsi.bad("NUL characters are not allowed", code="InvalidRequest")
                return problem_response(nul)
            try:
                return await handler(request)
            except PlatformError as exc:
                return problem_response(exc)
            except RequestValidationError as exc:
                details = [
                    {
                        "field": ".".join(str(p) for p in err.get("loc", ())[1:]) or "body",
                        "code": str(err.get("type", "invalid")),
                        "message": str(err.get("msg", "")),
                    }
                    for err in exc.errors()
                ]
                invalid = BadRequest("the request is not valid", code="InvalidRequest")
                invalid.details = details
                return problem_response(invalid)
            except (OverflowError, StatementError) as exc:
                # What the app's handler calls unstorable_value, here as ProblemDetails.
                orig = exc.orig if isinstance(exc, StatementError) else exc
                if not (isinstance(exc, DataError) or isinstance(orig, OverflowError)):
                    raise
                unstorable = ngsi.bad(
                    "a value in the request cannot be stored: a number out of range or a "
                    "NUL character"
                )
                return problem_response(unstorable)
            except StarletteHTTPException as exc:
                message = exc.detail if isinstance(exc.detail, str) else "request failed"
                err = PlatformError(message, code="BadRequestData")
                err.status = exc.status_code
                return problem_response(err)

        return wrapped


router = APIRouter(
    prefix=PREFIX, tags=["ngsi-ld"], route_class=NgsiRoute, responses=PROBLEM_RESPONSES
)


# What a body may be sent as, and what an answer can be given as.
LD_JSON = "application/ld+json"
_BODY_MEDIA = frozenset({"application/json", LD_JSON, "application/merge-patch+json"})
_ANSWER_MEDIA = frozenset({"*/*", "application/*", "application/json", LD_JSON})


def _media(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _unacceptable(request: Request) -> str | None:
    """The Accept header when it names nothing we answer with (JSON or JSON-LD)."""
    accept = request.headers.get("accept", "").strip()
    if not accept or any(_media(r) in _ANSWER_MEDIA for r in accept.split(",")):
        return None
    return accept


async def json_body(request: Request) -> Any:
    """The request body decoded as strict JSON (RFC 8259: no NaN, no Infinity)."""
    media = _media(request.headers.get("content-type", ""))
    if media and media not in _BODY_MEDIA:
        raise HttpError(
            415,
            "unsupported_media_type",
            f"the body must be application/json or application/ld+json, not {media}",
            details={"content_type": media},
        )
    # The standard library reads NaN, Infinity and 1e400 as floats; stored in an entity they
    # made every later read of it fail (JSON cannot carry them), so they are refused here.
    try:
        body = codec.loads(await request.body())
    except ValueError as exc:
        raise ngsi.bad(f"the body is not JSON: {exc}", code="InvalidRequest") from exc
    if media == LD_JSON:
        # JSON-LD names its context in the body (ETSI GS CIM 009, 6.3.5); plain JSON in Link.
        items = body if isinstance(body, list) else [body]
        if any(isinstance(i, dict) and "@context" not in i for i in items):
            raise ngsi.bad(
                "an application/ld+json body carries its @context (send application/json "
                "to use the context of the Link header or the platform's own)"
            )
    return body


JsonBody = Annotated[Any, Depends(json_body)]
_JSON_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {}},
        LD_JSON: {"schema": {}},
    },
}


def context_url(request: Request) -> str:
    """Where our @context is served (absolute, on this host)."""
    return str(request.base_url).rstrip("/") + f"{PREFIX}/contexts/{ngsi.CITY_CONTEXT_NAME}"


def _answer(
    request: Request, payload: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """JSON with a Link to our context, or JSON-LD with an @context member when asked."""
    headers = headers or {}
    url = context_url(request)
    if "application/ld+json" in request.headers.get("accept", ""):
        if isinstance(payload, dict):
            payload = {**payload, "@context": url}
        elif isinstance(payload, list):
            payload = [{**p, "@context": url} if isinstance(p, dict) else p for p in payload]
        return Response(
            json.dumps(payload, ensure_ascii=False),
            status_code=status,
            media_type="application/ld+json",
            headers=headers,
        )
    link = f'<{url}>; rel="{LD_CONTEXT_REL}"; type="application/ld+json"'
    return JSONResponse(payload, status_code=status, headers={"Link": link, **headers})


def _csv(raw: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in raw.split(",") if p.strip()) if raw else ()


def _options(raw: str | None) -> set[str]:
    return set(_csv(raw))


# -- contexts ------------------------------------------------------------------------------


@router.get("/contexts/{name}")
def get_context(name: str) -> Response:
    """A pinned JSON-LD @context shipped with the platform (never fetched from elsewhere)."""
    if name not in CONTEXT_FILES:
        raise NotFound(f"no context {name}", code="ResourceNotFound")
    text = (resources.files("quancheng.operations") / "context" / name).read_text("utf-8")
    return Response(
        text,
        media_type="application/ld+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )


# -- entities ------------------------------------------------------------------------------


@router.post("/entities", status_code=201, openapi_extra={"requestBody": _JSON_BODY})
def create_entity(
    request: Request,
    body: JsonBody,
    principal: PrincipalDep,
    services: ServicesDep,
    department: Annotated[str | None, Query(description="owning department key")] = None,
) -> Response:
    """Create an entity (owned by the caller's department, or `department` for the platform)."""
    entity = services.entities.create(principal, body, department=department)
    services.telemetry.saved()
    return Response(status_code=201, headers={"Location": f"{PREFIX}/entities/{entity['id']}"})


@router.get("/entities")
def query_entities(
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    type: str | None = None,
    id: str | None = None,
    idPattern: str | None = None,
    q: str | None = None,
    attrs: str | None = None,
    georel: str | None = None,
    geometry: str | None = None,
    coordinates: str | None = None,
    geoproperty: str | None = None,
    limit: int = 20,
    offset: int = 0,
    options: str | None = None,
    count: bool = False,
) -> Response:
    """Query entities: type, id, idPattern, q, attrs, georel (near / within), paging."""
    ngsi.require_government(principal)  # deny first, then read the filters
    if geoproperty not in (None, "location"):
        raise ngsi.bad("only the location GeoProperty is indexed", code="InvalidRequest")
    if not 0 < limit <= MAX_LIMIT:
        raise ngsi.bad(f"limit must be 1..{MAX_LIMIT}", code="InvalidRequest")
    query = EntityQuery(
        types=_csv(type),
        ids=_csv(id),
        id_pattern=idPattern,
        q=tuple(ngsi.parse_q(q)) if q else (),
        attrs=_csv(attrs),
        geo=ngsi.parse_georel(georel, geometry, coordinates) if georel else None,
        limit=limit,
        offset=offset,
        count=count or "count" in _options(options),
    )
    entities, total = services.entities.query(principal, query)
    if "keyValues" in _options(options):
        entities = [ngsi.key_values(e) for e in entities]
    headers = {} if total is None else {"NGSILD-Results-Count": str(total)}
    return _answer(request, entities, headers=headers)


@router.get("/entities/{entity_id}")
def get_entity(
    request: Request,
    entity_id: str,
    principal: PrincipalDep,
    services: ServicesDep,
    attrs: str | None = None,
    options: str | None = None,
) -> Response:
    """One entity (normalized, or keyValues with options=keyValues)."""
    entity = services.entities.get(principal, entity_id, attrs=_csv(attrs))
    if "keyValues" in _options(options):
        entity = ngsi.key_values(entity)
    return _answer(request, entity)


@router.patch("/entities/{entity_id}", status_code=204, openapi_extra={"requestBody": _JSON_BODY})
def merge_entity(
    entity_id: str, body: JsonBody, principal: PrincipalDep, services: ServicesDep
) -> Response:
    """Merge attributes into an entity (named ones replaced, the others kept)."""
    services.entities.patch(principal, entity_id, body)
    services.telemetry.saved()
    return Response(status_code=204)


@router.patch(
    "/entities/{entity_id}/attrs", status_code=204, openapi_extra={"requestBody": _JSON_BODY}
)
def update_attrs(
    entity_id: str, body: JsonBody, principal: PrincipalDep, services: ServicesDep
) -> Response:
    """Update attributes of an entity (a merge, as PATCH /entities/{id})."""
    services.entities.patch(principal, entity_id, body)
    services.telemetry.saved()
    return Response(status_code=204)


@router.delete("/entities/{entity_id}", status_code=204)
def delete_entity(entity_id: str, principal: PrincipalDep, services: ServicesDep) -> Response:
    """Delete an entity (and its alarms and commands)."""
    services.entities.delete(principal, entity_id)
    return Response(status_code=204)


@router.post(
    "/entityOperations/upsert",
    status_code=201,
    openapi_extra={"requestBody": _JSON_BODY},
    responses={
        201: {"description": "The ids of the entities created"},
        204: {"description": "Every entity was updated"},
        207: {"description": "Some entities failed: `success` ids and `errors`"},
    },
)
def upsert_entities(
    request: Request,
    body: JsonBody,
    principal: PrincipalDep,
    services: ServicesDep,
    options: str | None = None,
    department: Annotated[str | None, Query(description="owner of new entities")] = None,
) -> Response:
    """Create or update entities in one batch: 201 (ids created), 204, or 207 with errors."""
    replace = "update" not in _options(options)
    result = services.entities.upsert(principal, body, department=department, replace=replace)
    services.telemetry.saved()
    if result.errors:
        errors = [
            {"entityId": e["entityId"], "error": problem_details(e["error"])} for e in result.errors
        ]
        payload = {"success": result.created + result.updated, "errors": errors}
        return JSONResponse(payload, status_code=207)
    if result.created:
        return JSONResponse(result.created, status_code=201)
    return Response(status_code=204)


# -- subscriptions -------------------------------------------------------------------------


@router.post("/subscriptions", status_code=201, openapi_extra={"requestBody": _JSON_BODY})
def create_subscription(body: JsonBody, principal: PrincipalDep, services: ServicesDep) -> Response:
    """Subscribe a webhook to changes of entities (throttled, retried)."""
    sub = services.entities.subscriptions.create(principal, body)
    return Response(status_code=201, headers={"Location": f"{PREFIX}/subscriptions/{sub['id']}"})


@router.get("/subscriptions")
def list_subscriptions(
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    limit: int = 100,
    offset: int = 0,
) -> Response:
    """The subscriptions of the caller's department (all of them for the platform)."""
    subs = services.entities.subscriptions.list_subscriptions(principal, limit=limit, offset=offset)
    return _answer(request, subs)


@router.get("/subscriptions/{subscription_id}")
def get_subscription(
    request: Request, subscription_id: str, principal: PrincipalDep, services: ServicesDep
) -> Response:
    """One subscription with its delivery status."""
    return _answer(request, services.entities.subscriptions.get(principal, subscription_id))


@router.delete("/subscriptions/{subscription_id}", status_code=204)
def delete_subscription(
    subscription_id: str, principal: PrincipalDep, services: ServicesDep
) -> Response:
    """Delete a subscription."""
    services.entities.subscriptions.delete(principal, subscription_id)
    return Response(status_code=204)

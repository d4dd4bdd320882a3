"""NGSI-LD temporal API: an entity's attribute history (GET /ngsi-ld/v1/temporal/entities/{id}).

Errors are ProblemDetails like the rest of the NGSI-LD API (see quancheng.api.ngsi).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, cast

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from quancheng.api.deps import PrincipalDep, ServicesDep
from quancheng.api.ngsi import LD_CONTEXT_REL, PREFIX, NgsiRoute, context_url
from quancheng.api.schemas import PROBLEM_RESPONSES
from quancheng.db.models import OpsEntity
from quancheng.errors import BadRequest, NotFound
from quancheng.operations.ngsi import iso_datetime, require_government
from quancheng.operations.telemetry import BUCKETS, MAX_INSTANCES, time_window, utc_naive

if TYPE_CHECKING:
    from quancheng.app import Services

router = APIRouter(
    prefix=PREFIX, tags=["ngsi-ld"], route_class=NgsiRoute, responses=PROBLEM_RESPONSES
)

# aggrPeriodDuration (ISO 8601 durations) the roll-ups answer, as TelemetryStore buckets.
PERIODS = {"PT1M": "1m", "PT5M": "5m", "PT15M": "15m", "PT1H": "1h", "PT6H": "6h", "P1D": "1d"}
AGGREGATES = ("totalCount", "min", "max", "sum", "avg")


@dataclass(frozen=True)
class TemporalQuery:
    """A validated temporal query: the window, attributes, lastN and any aggregation."""

    attrs: tuple[str, ...]
    timerel: Literal["before", "after", "between"] | None
    time_at: datetime | None
    end_time_at: datetime | None
    last_n: int | None
    simplified: bool
    aggregates: tuple[str, ...]
    period: str | None


def parse_instant(name: str, raw: str | None) -> datetime | None:
    """An ISO 8601 date-time parameter as naive UTC (no offset: UTC); BadRequest if malformed."""
    if raw is None or raw == "":
        return None
    try:
        moment = iso_datetime(raw.strip())
    except ValueError:
        raise BadRequest(
            f"{name} is not an ISO 8601 date-time: {raw!r}",
            code="bad_time",
            details={"parameter": name},
        ) from None
    try:
        return utc_naive(moment)
    except OverflowError:  # 0001-01-01T00:00+01:00 lies before the first representable instant
        raise BadRequest(
            f"{name} lies outside the years 1-9999 in UTC: {raw!r}",
            code="bad_time",
            details={"parameter": name},
        ) from None


def parse_query(
    *,
    timerel: str | None,
    time_at: str | None,
    end_time_at: str | None,
    last_n: str | None,
    attrs: str | None,
    options: str | None,
    aggr_methods: str | None,
    aggr_period: str | None,
) -> TemporalQuery:
    """Validate the query parameters of a temporal request (400 on anything malformed)."""
    start = parse_instant("timeAt", time_at)
    end = parse_instant("endTimeAt", end_time_at)
    time_window(timerel, start, end)  # raises on a malformed window
    n: int | None = None
    if last_n is not None:
        if not (last_n.strip().isascii() and last_n.strip().isdigit()) or int(last_n) < 1:
            raise BadRequest(
                "lastN must be a positive integer", code="bad_last_n", details={"lastN": last_n}
            )
        n = int(last_n)
    names = tuple(a.strip() for a in (attrs or "").split(",") if a.strip())
    opts = {o.strip() for o in (options or "").split(",") if o.strip()}
    methods: tuple[str, ...] = ()
    period: str | None = None
    if "aggregatedValues" in opts or aggr_methods or aggr_period:
        methods = tuple(m.strip() for m in (aggr_methods or "avg").split(",") if m.strip())
        unknown = [m for m in methods if m not in AGGREGATES]
        if unknown or not methods:
            raise BadRequest(
                f"aggrMethods must be among {', '.join(AGGREGATES)}",
                code="bad_aggregate",
                details={"aggrMethods": aggr_methods},
            )
        period = PERIODS.get((aggr_period or "PT1H").upper())
        if period is None:
            raise BadRequest(
                f"aggrPeriodDuration must be one of {', '.join(PERIODS)}",
                code="bad_aggregate",
                details={"aggrPeriodDuration": aggr_period},
            )
    return TemporalQuery(
        attrs=names,
        timerel=cast(Literal["before", "after", "between"] | None, timerel),
        time_at=start,
        end_time_at=end,
        last_n=n,
        simplified="temporalValues" in opts,
        aggregates=methods,
        period=period,
    )


def iso(moment: datetime) -> str:
    """A naive UTC datetime as NGSI-LD writes it (…Z)."""
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


@router.get("/temporal/entities/{entity_id}")
def temporal_entity(
    request: Request,
    entity_id: str,
    principal: PrincipalDep,
    services: ServicesDep,
    timerel: str | None = None,
    timeAt: str | None = None,
    endTimeAt: str | None = None,
    lastN: str | None = None,
    attrs: str | None = None,
    options: str | None = None,
    aggrMethods: str | None = None,
    aggrPeriodDuration: str | None = None,
) -> Response:
    """An entity's attribute history: each attribute an array of instances, oldest first."""
    require_government(principal)
    query = parse_query(
        timerel=timerel,
        time_at=timeAt,
        end_time_at=endTimeAt,
        last_n=lastN,
        attrs=attrs,
        options=options,
        aggr_methods=aggrMethods,
        aggr_period=aggrPeriodDuration,
    )
    with services.db.reader() as s:
        row = s.get(OpsEntity, entity_id)
        if row is None:
            raise NotFound(f"no entity {entity_id}", code="ResourceNotFound")
        entity_type = row.type
    body: dict[str, Any] = {"id": entity_id, "type": entity_type}
    if query.period is not None:
        body |= _aggregated(services, entity_id, query)
    else:
        history = services.telemetry.history(
            entity_id,
            attrs=query.attrs or None,
            timerel=query.timerel,
            time_at=query.time_at,
            end_time_at=query.end_time_at,
            last_n=query.last_n,
        )
        for name, instances in history.items():
            if query.simplified:
                body[name] = {"type": "Property", "values": [[v, iso(t)] for t, v in instances]}
            else:
                body[name] = [
                    {"type": "Property", "value": v, "observedAt": iso(t)} for t, v in instances
                ]
    return _answer(request, body)


def _aggregated(services: Services, entity_id: str, query: TemporalQuery) -> dict[str, Any]:
    """Each numeric attribute's figures per period: {method: [[value, start, end], …]}."""
    store = services.telemetry
    bucket = query.period or "1h"
    width = timedelta(seconds=BUCKETS[bucket])
    names = list(query.attrs) or store.numeric_attributes(entity_id)
    start, end = time_window(query.timerel, query.time_at, query.end_time_at)
    lo = start or datetime(1970, 1, 1)
    hi = end or utc_naive(datetime.now(UTC)) + timedelta(days=1)
    out: dict[str, Any] = {}
    for name in names:
        points = store.series(
            attribute=name, start=lo, end=hi, bucket=bucket, entity_ids=[entity_id]
        )
        if query.last_n is not None:
            points = points[-query.last_n :]
        points = points[-MAX_INSTANCES:]
        if not points:
            continue
        attr: dict[str, Any] = {"type": "Property"}
        for method in query.aggregates:
            values = []
            for p in points:
                value = {
                    "totalCount": p.count,
                    "min": p.min,
                    "max": p.max,
                    "sum": p.sum,
                    "avg": p.avg,
                }[method]
                values.append([value, iso(p.bucket), iso(p.bucket + width)])
            attr[method] = values
        out[name] = attr
    return out


def _answer(request: Request, body: dict[str, Any]) -> Response:
    """JSON with a Link to our @context, or JSON-LD carrying it when asked."""
    url = context_url(request)
    if "application/ld+json" in request.headers.get("accept", ""):
        return JSONResponse({**body, "@context": url}, media_type="application/ld+json")
    link = f'<{url}>; rel="{LD_CONTEXT_REL}"; type="application/ld+json"'
    return JSONResponse(body, headers={"Link": link})

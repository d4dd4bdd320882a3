"""NGSI-LD normalized entities: parsing, per-type checks, simple q and geo queries (pure)."""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from quancheng.errors import BadRequest, NotAuthenticated, PermissionDenied
from quancheng.identity.roles import Principal
from quancheng.operations import codec, model

# Where the pinned contexts are served (they are shipped in the package, never fetched).
CONTEXT_PATH = "/ngsi-ld/v1/contexts"
CORE_CONTEXT_NAME = "ngsi-ld-core-context.jsonld"
CITY_CONTEXT_NAME = "quancheng-context.jsonld"
BAD_DATA = "BadRequestData"
INVALID = "InvalidRequest"
NULL_URI = "urn:ngsi-ld:null"

_URN = re.compile(r"^urn:ngsi-ld:([A-Za-z][A-Za-z0-9_]{0,99}):([A-Za-z0-9_.:\-~%+@!$,=]{1,200})$")
# NGSI-LD forbids these characters in attribute names (they are q-language syntax).
_ATTR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
_RESERVED = frozenset({"id", "type", "@context", "scope", "createdAt", "modifiedAt"})
_ATTR_TYPES = frozenset({"Property", "Relationship", "GeoProperty"})
_PROPERTY_KEYS = frozenset({"type", "value", "observedAt", "unitCode", "datasetId"})
_RELATIONSHIP_KEYS = frozenset({"type", "object", "observedAt", "datasetId"})
_GEO_KEYS = frozenset({"type", "value", "observedAt", "datasetId"})
# The district of an entity is taken from a `districtCode` Property (our term) or the
# `district` of its `address`, when either is a 6-digit administrative code.
_DISTRICT = re.compile(r"^\d{6}$")
_EARTH_RADIUS_M = 6_371_008.8

Attrs = dict[str, dict[str, Any]]


def require_government(actor: Principal) -> None:
    """Operations data is for government users (any department member, the platform)."""
    if not actor.is_authenticated:
        raise NotAuthenticated("log in or present an API token")
    if not actor.is_platform_admin and actor.department_id is None:
        raise PermissionDenied(
            "city operations are for government users", details={"permission": "ops:read"}
        )


def bad(message: str, *, code: str = BAD_DATA, details: Any = None) -> BadRequest:
    """A 400 in NGSI-LD terms (BadRequestData unless `code` says InvalidRequest)."""
    return BadRequest(message, code=code, details=details)


# A page of a list: at most MAX_LIMIT items, from an offset far beyond any city's entities
# (beyond 2^63 the databases refuse the OFFSET itself).
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000


def check_page(limit: int, offset: int) -> None:
    """Refuse a page size or offset out of bounds (InvalidRequest) rather than clamp it."""
    if not 0 < limit <= MAX_LIMIT:
        raise bad(f"limit must be 1..{MAX_LIMIT}", code=INVALID)
    if offset < 0:
        raise bad("offset must not be negative", code=INVALID)
    if offset > MAX_OFFSET:
        raise bad(f"offset must be at most {MAX_OFFSET}", code=INVALID)


@dataclass(frozen=True)
class ParsedEntity:
    """A validated entity in normalized form: its URN, type and attributes."""

    id: str
    type: str
    attrs: Attrs


def type_of_urn(entity_id: str) -> str:
    """The entity type named inside an `urn:ngsi-ld:{Type}:{local}` id (400 if malformed)."""
    if not isinstance(entity_id, str):
        raise bad("the entity id must be a string")
    match = _URN.match(entity_id)
    if match is None:
        raise bad(
            "the entity id must be a URN urn:ngsi-ld:{Type}:{local}", details={"id": entity_id}
        )
    return match.group(1)


def check_type(entity_type: Any) -> str:
    """The entity type if the platform knows it (400 otherwise)."""
    if entity_type not in model.ENTITY_TYPES:
        raise bad(
            f"unknown entity type {entity_type!r}", details={"known": list(model.ENTITY_TYPES)}
        )
    return str(entity_type)


def parse_entity(body: Any, *, now: datetime, future_seconds: int) -> ParsedEntity:
    """Validate a whole entity in normalized form."""
    if not isinstance(body, Mapping):
        raise bad("the entity must be a JSON object")
    entity_id = body.get("id")
    entity_type = check_type(body.get("type"))
    if not isinstance(entity_id, str):
        raise bad("the entity needs an id (a URN)")
    if type_of_urn(entity_id) != entity_type:
        raise bad("the type in the entity id differs from its type", details={"id": entity_id})
    attrs = {k: v for k, v in body.items() if k not in _RESERVED}
    return ParsedEntity(
        id=str(entity_id),
        type=entity_type,
        attrs=parse_attrs(entity_type, attrs, now=now, future_seconds=future_seconds),
    )


def parse_attrs(
    entity_type: str,
    attrs: Mapping[str, Any],
    *,
    now: datetime,
    future_seconds: int,
) -> Attrs:
    """Validate a map of attributes in normalized form (Property, Relationship, GeoProperty)."""
    if not isinstance(attrs, Mapping):
        raise bad("the attributes must be a JSON object")
    out: Attrs = {}
    for name, attr in attrs.items():
        if name in ("@context", "id", "type"):
            continue
        check_name(name)
        out[name] = parse_attr(entity_type, name, attr, now=now, future_seconds=future_seconds)
    return out


def check_name(name: str) -> None:
    """400 unless the attribute name is a plain term (no q-language characters)."""
    if not isinstance(name, str) or not _ATTR_NAME.match(name) or name in _RESERVED:
        raise bad(f"invalid attribute name {name!r}")


def parse_attr(
    entity_type: str, name: str, attr: Any, *, now: datetime, future_seconds: int
) -> dict[str, Any]:
    """Validate one attribute in normalized form and apply the type's rule for it."""
    if not isinstance(attr, Mapping):
        raise bad(f"attribute {name!r} must be an object with a type", details={"attr": name})
    kind = attr.get("type")
    if kind not in _ATTR_TYPES:
        raise bad(
            f"attribute {name!r} must be a Property, Relationship or GeoProperty",
            details={"attr": name},
        )
    allowed = {
        "Property": _PROPERTY_KEYS,
        "Relationship": _RELATIONSHIP_KEYS,
        "GeoProperty": _GEO_KEYS,
    }[str(kind)]
    extra = set(attr) - allowed
    if extra:
        raise bad(
            f"attribute {name!r} has unsupported members {sorted(extra)}", details={"attr": name}
        )
    out: dict[str, Any] = {"type": kind}
    if "observedAt" in attr:
        parse_time(attr["observedAt"], now=now, future_seconds=future_seconds, attr=name)
        out["observedAt"] = attr["observedAt"]
    if kind == "Relationship":
        out["object"] = _relationship_object(name, attr.get("object"))
        _check_rule(entity_type, name, kind, out["object"])
        return out
    if "value" not in attr or attr["value"] is None:
        raise bad(f"attribute {name!r} has no value", details={"attr": name})
    value = attr["value"]
    if kind == "GeoProperty":
        check_geometry(value, attr=name)
    else:
        if "unitCode" in attr:
            unit = attr["unitCode"]
            if not isinstance(unit, str) or not 0 < len(unit) <= 20:
                raise bad(f"attribute {name!r} has an invalid unitCode", details={"attr": name})
            out["unitCode"] = unit
        if name == "location":
            raise bad("location must be a GeoProperty", details={"attr": name})
    _check_rule(entity_type, name, str(kind), value)
    out["value"] = value
    return out


def _relationship_object(name: str, obj: Any) -> str | list[str]:
    objects = obj if isinstance(obj, list) else [obj]
    if not objects:
        raise bad(f"relationship {name!r} has no object", details={"attr": name})
    for item in objects:
        if not isinstance(item, str) or not item.startswith("urn:") or len(item) > 256:
            raise bad(f"relationship {name!r} must point to URNs", details={"attr": name})
    return [str(o) for o in objects] if isinstance(obj, list) else str(obj)


# An NGSI-LD DateTime: a calendar date, "T", a clock time (seconds and fraction optional) and
# an optional offset. Python's fromisoformat alone also takes a bare date ("2026-12-01" is
# midnight), basic and week forms and a space for the T: none of them is a DateTime here.
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)


def iso_datetime(raw: str) -> datetime:
    """An ISO 8601 date-time with its time of day; ValueError for a date alone or another form."""
    if not _DATETIME.fullmatch(raw):
        raise ValueError(f"{raw!r} is not a date-time like 2026-12-01T08:00:00Z")
    return datetime.fromisoformat(raw)


@functools.lru_cache(maxsize=8192)
def instant(raw: str) -> datetime:
    """A stored ISO 8601 time, UTC when it names no offset (cached: batches share timestamps).

    Lenient on purpose: it reads what is already stored. Input is checked by `checked_instant`.
    """
    when = datetime.fromisoformat(raw)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def checked_instant(raw: str) -> datetime:
    """An incoming ISO 8601 date-time, UTC when it names no offset; ValueError if not one."""
    iso_datetime(raw)
    return instant(raw)


def parse_time(
    raw: Any, *, now: datetime, future_seconds: int, attr: str = "observedAt"
) -> datetime:
    """An ISO 8601 timestamp (UTC if it has no offset), refused beyond the future tolerance."""
    if not isinstance(raw, str):
        raise bad(f"{attr}: observedAt must be an ISO 8601 string", details={"attr": attr})
    try:
        when = checked_instant(raw)
    except ValueError as exc:
        raise bad(
            f"{attr}: {raw!r} is not an ISO 8601 date-time (like 2026-12-01T08:00:00Z)",
            details={"attr": attr},
        ) from exc
    if when - now > timedelta(seconds=future_seconds):
        raise bad(
            f"{attr}: observedAt {raw} lies in the future",
            details={"attr": attr, "tolerance_seconds": future_seconds},
        )
    return when


# --- GeoJSON -----------------------------------------------------------------------------


def _position(p: Any) -> tuple[float, float]:
    if (
        not isinstance(p, list | tuple)
        or len(p) not in (2, 3)
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in p)
        or not all(math.isfinite(c) for c in p)
    ):
        raise bad("a GeoJSON position is [longitude, latitude]")
    lon, lat = float(p[0]), float(p[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise bad("a GeoJSON position must lie within longitude ±180 and latitude ±90")
    return lon, lat


def _ring(ring: Any) -> list[tuple[float, float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise bad("a polygon ring needs at least four positions")
    points = [_position(p) for p in ring]
    if points[0] != points[-1]:
        raise bad("a polygon ring must be closed (first position = last)")
    return points


def check_geometry(value: Any, *, attr: str = "location") -> None:
    """400 unless `value` is a GeoJSON geometry (Point, LineString, Polygon, Multi*)."""
    try:
        geometry_points(value)
    except BadRequest as exc:
        raise bad(f"{attr}: {exc.message}", details={"attr": attr}) from exc


def geometry_points(value: Any) -> list[tuple[float, float]]:
    """Every position of a GeoJSON geometry (400 if the geometry is malformed)."""
    if not isinstance(value, Mapping) or "coordinates" not in value:
        raise bad("a GeoJSON geometry needs a type and coordinates")
    kind, coords = value.get("type"), value["coordinates"]
    if kind == "Point":
        return [_position(coords)]
    if not isinstance(coords, list) or not coords:
        raise bad(f"{kind} coordinates must be a non-empty list")
    if kind == "LineString" or kind == "MultiPoint":
        if kind == "LineString" and len(coords) < 2:
            raise bad("a LineString needs two positions")
        return [_position(p) for p in coords]
    if kind == "Polygon":
        return [p for ring in coords for p in _ring(ring)]
    if kind == "MultiLineString":
        return [_position(p) for line in coords for p in (line if isinstance(line, list) else [])]
    if kind == "MultiPolygon":
        return [p for poly in coords for ring in _as_list(poly) for p in _ring(ring)]
    raise bad(f"unsupported GeoJSON geometry type {kind!r}")


def _as_list(value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise bad("GeoJSON coordinates must be non-empty lists")
    return value


def centroid(value: Mapping[str, Any]) -> tuple[float, float]:
    """The point used for geo queries: a Point itself, else the mean of the positions."""
    points = geometry_points(value)
    if value.get("type") == "Polygon":
        points = points[:-1] if len(points) > 1 else points
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def in_ring(point: tuple[float, float], ring: Sequence[tuple[float, float]]) -> bool:
    """Whether the point lies inside the closed ring (ray casting)."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


@dataclass(frozen=True)
class GeoQuery:
    """A georel filter: near a point (within max metres) or within a polygon."""

    relation: str
    point: tuple[float, float] | None = None
    max_distance: float | None = None
    min_distance: float | None = None
    rings: tuple[tuple[tuple[float, float], ...], ...] = ()

    def bbox(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) enclosing every match, for an index prefilter."""
        if self.relation == "near" and self.point is not None:
            dist = self.max_distance or 0.0
            dlat = math.degrees(dist / _EARTH_RADIUS_M) * 1.01
            coslat = max(math.cos(math.radians(self.point[1])), 1e-6)
            dlon = dlat / coslat
            lon, lat = self.point
            return (lon - dlon, lat - dlat, lon + dlon, lat + dlat)
        outer = self.rings[0]
        return (
            min(p[0] for p in outer),
            min(p[1] for p in outer),
            max(p[0] for p in outer),
            max(p[1] for p in outer),
        )

    def matches(self, lon: float | None, lat: float | None) -> bool:
        """Whether an entity at (lon, lat) satisfies the filter."""
        if lon is None or lat is None:
            return False
        if self.relation == "near" and self.point is not None:
            d = distance_m(self.point, (lon, lat))
            if self.max_distance is not None and d > self.max_distance:
                return False
            return not (self.min_distance is not None and d < self.min_distance)
        outer, holes = self.rings[0], self.rings[1:]
        return in_ring((lon, lat), outer) and not any(in_ring((lon, lat), h) for h in holes)


def parse_georel(georel: str, geometry: str | None, coordinates: str | None) -> GeoQuery:
    """A GeoQuery from the georel, geometry and coordinates query parameters."""
    if not geometry or not coordinates:
        raise bad("georel needs geometry and coordinates", code=INVALID)
    try:
        # Strict JSON: NaN and Infinity are no coordinates.
        coords = codec.loads(coordinates)
    except ValueError as exc:
        raise bad("coordinates must be a JSON array", code=INVALID) from exc
    parts = georel.split(";")
    relation = parts[0]
    if relation == "near":
        if geometry != "Point":
            raise bad("georel near needs a Point geometry", code=INVALID)
        limits: dict[str, float] = {}
        for part in parts[1:]:
            key, sep, raw = part.partition("==")
            if not sep or key not in ("maxDistance", "minDistance"):
                raise bad(f"unsupported georel modifier {part!r}", code=INVALID)
            try:
                limits[key] = float(raw)
            except ValueError as exc:
                raise bad(f"{key} must be a number of metres", code=INVALID) from exc
            if not math.isfinite(limits[key]):
                raise bad(f"{key} must be a number of metres", code=INVALID)
            if limits[key] < 0:
                raise bad(f"{key} must not be negative", code=INVALID)
        if "maxDistance" not in limits:
            raise bad("georel near needs maxDistance==metres", code=INVALID)
        return GeoQuery(
            relation="near",
            point=_position(coords),
            max_distance=limits["maxDistance"],
            min_distance=limits.get("minDistance"),
        )
    if relation == "within" and len(parts) == 1:
        if geometry != "Polygon":
            raise bad("georel within needs a Polygon geometry", code=INVALID)
        rings = tuple(tuple(_ring(r)) for r in _as_list(coords))
        return GeoQuery(relation="within", rings=rings)
    raise bad(f"unsupported georel {georel!r} (near;maxDistance==N or within)", code=INVALID)


# --- The simple q language ---------------------------------------------------------------

_Q_TERM = re.compile(
    r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(==|!=|>=|<=|>|<)(.+)$"
)
Scalar = float | str | bool | None


@dataclass(frozen=True)
class QTerm:
    """One comparison of the q language: attribute operator value (or a range, or a list)."""

    attr: str
    op: str
    value: float | str | bool
    # `attr==a..b` (inside the range; `!=` outside it) and `attr=="a","b"` (any of; `!=` none).
    high: float | str | None = None
    choices: tuple[float | str | bool, ...] = ()

    def matches(self, attrs: Mapping[str, Any]) -> bool:
        """Whether the entity's attributes satisfy the comparison."""
        name, _, sub = self.attr.partition(".")
        attr = attrs.get(name)
        if not isinstance(attr, Mapping):
            return False
        actual = attr.get("object") if attr.get("type") == "Relationship" else attr.get("value")
        if sub and isinstance(actual, Mapping):
            actual = actual.get(sub)
        if self.high is not None:
            inside = _compare(actual, ">=", self.value) and _compare(actual, "<=", self.high)
            return inside if self.op == "==" else not inside
        if self.choices:
            if self.op == "==":
                return any(_compare(actual, "==", c) for c in self.choices)
            return all(_compare(actual, "!=", c) for c in self.choices)
        return _compare(actual, self.op, self.value)


def _compare(actual: Any, op: str, expected: float | str | bool) -> bool:
    if isinstance(actual, list):
        if op == "!=":
            return expected not in actual
        return any(_compare(a, op, expected) for a in actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return op in ("==", "!=") and ((actual == expected) == (op == "=="))
    if isinstance(expected, float):
        if isinstance(actual, int | float):
            return _order(float(actual), op, expected)
        return op == "!="
    if isinstance(actual, str):
        return _order(actual, op, expected)
    return op == "!="


def _order(a: Any, op: str, b: Any) -> bool:
    # Callers pass two floats or two strings.
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == ">":
        return bool(a > b)
    if op == "<":
        return bool(a < b)
    if op == ">=":
        return bool(a >= b)
    return bool(a <= b)


def _split_unquoted(text: str, separator: str) -> list[str]:
    """`text` cut at each `separator` that lies outside a double-quoted string."""
    parts: list[str] = []
    start, quoted, i = 0, False, 0
    while i < len(text):
        if text[i] == '"':
            quoted = not quoted
        elif not quoted and text.startswith(separator, i):
            parts.append(text[start:i])
            start = i + len(separator)
            i = start
            continue
        i += 1
    parts.append(text[start:])
    return parts


def parse_q(q: str) -> list[QTerm]:
    """The terms of a q filter joined by `;` (AND): attr==value, attr>n, attr==a..b, …."""
    # OR (`|`) and parentheses are not supported: refused rather than read as part of a
    # value, which matched nothing and answered an empty list as if it were the answer.
    unquoted = "".join(q.split('"')[::2])
    if any(c in unquoted for c in "|()"):
        raise bad("q supports `;` (AND) only: `|` (OR) and parentheses are not", code=INVALID)
    terms: list[QTerm] = []
    for raw in _split_unquoted(q, ";"):
        part = raw.strip()
        match = _Q_TERM.match(part)
        if match is None:
            raise bad(f"cannot read q term {part!r}", code=INVALID)
        attr, op, literal = match.groups()
        terms.append(_term(attr, op, literal))
    return terms


def _term(attr: str, op: str, literal: str) -> QTerm:
    bounds = _split_unquoted(literal, "..")
    choices = _split_unquoted(literal, ",")
    if len(bounds) > 1 or len(choices) > 1:
        if op not in ("==", "!="):
            raise bad(f"a range or a list of values takes == or !=, not {op}", code=INVALID)
        if len(bounds) > 1 and len(choices) > 1:
            raise bad(f"cannot read q value {literal!r}", code=INVALID)
    if len(bounds) > 1:
        if len(bounds) != 2:
            raise bad(f"a q range is low..high: {literal!r}", code=INVALID)
        low, high = (_literal(b, "==") for b in bounds)
        if isinstance(low, bool) or isinstance(high, bool) or type(low) is not type(high):
            raise bad(f"a q range needs two numbers or two texts: {literal!r}", code=INVALID)
        return QTerm(attr=attr, op=op, value=low, high=high)
    if len(choices) > 1:
        values = tuple(_literal(c, op) for c in choices)
        return QTerm(attr=attr, op=op, value=values[0], choices=values)
    return QTerm(attr=attr, op=op, value=_literal(literal, op))


def _literal(text: str, op: str) -> float | str | bool:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None and math.isfinite(number):
        return number
    if op in ("==", "!=") and text and '"' not in text:
        return text
    raise bad(f"q compares {op} against a number: {text!r}", code=INVALID) from None


def matches_q(terms: Iterable[QTerm], attrs: Mapping[str, Any]) -> bool:
    """Whether every term matches."""
    return all(t.matches(attrs) for t in terms)


# --- Per-type rules (Smart Data Models) ----------------------------------------------------

Rule = Callable[[str, Any], None]


def _number(lo: float | None = None, hi: float | None = None) -> Rule:
    def check(name: str, value: Any) -> None:
        # Exact float or int first (a bool is neither): every device reading passes here.
        kind = type(value)
        if (
            (kind is not float and kind is not int)
            and (isinstance(value, bool) or not isinstance(value, int | float))
        ) or not math.isfinite(value):
            raise bad(f"{name} must be a number", details={"attr": name})
        if lo is not None and value < lo:
            raise bad(f"{name} must be ≥ {lo}", details={"attr": name})
        if hi is not None and value > hi:
            raise bad(f"{name} must be ≤ {hi}", details={"attr": name})

    return check


def _enum(*choices: str) -> Rule:
    def check(name: str, value: Any) -> None:
        if value not in choices:
            raise bad(f"{name} must be one of {list(choices)}", details={"attr": name})

    return check


def _boolean(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise bad(f"{name} must be true or false", details={"attr": name})


def _text(name: str, value: Any) -> None:
    if not isinstance(value, str) or len(value) > 1000:
        raise bad(f"{name} must be a text", details={"attr": name})


def _datetime(name: str, value: Any) -> None:
    try:
        iso_datetime(value)
    except (TypeError, ValueError) as exc:
        raise bad(f"{name} must be an ISO 8601 date-time", details={"attr": name}) from exc


def _phases(name: str, value: Any) -> None:
    """A per-phase reading: a number or {"L1": n, "L2": n, "L3": n}."""
    if isinstance(value, Mapping):
        for phase, reading in value.items():
            if phase not in ("L1", "L2", "L3", "N"):
                raise bad(f"{name}: unknown phase {phase!r}", details={"attr": name})
            _number()(f"{name}.{phase}", reading)
        return
    _number()(name, value)


def _relationship(target: str) -> Rule:
    def check(name: str, value: Any) -> None:
        for obj in value if isinstance(value, list) else [value]:
            if type_of_urn(obj) != target:
                raise bad(f"{name} must point to a {target}", details={"attr": name})

    return check


_LEVEL = _number(0, 1)
_POWER_STATE = _enum("on", "off", "low", "bootingUp")
_NON_NEGATIVE = _number(0)
_POLLUTANTS = ("PM1", "PM2_5", "PM10", "NO", "NO2", "NOx", "SO2", "O3", "CO", "CO2", "NH3")

# Attribute name → (expected kind, rule); names not listed are free Properties.
RULES: dict[str, dict[str, tuple[str, Rule | None]]] = {
    model.STREETLIGHT: {
        "status": ("Property", _enum("ok", "defectiveLamp", "columnIssue", "brokenLantern")),
        "powerState": ("Property", _POWER_STATE),
        "illuminanceLevel": ("Property", _LEVEL),
        "dateLastSwitchingOn": ("Property", _datetime),
        "dateLastSwitchingOff": ("Property", _datetime),
        "powerConsumption": ("Property", _NON_NEGATIVE),
        "refStreetlightGroup": ("Relationship", _relationship(model.STREETLIGHT_GROUP)),
        "refStreetlightControlCabinet": ("Relationship", _relationship(model.CONTROL_CABINET)),
        **{flag: ("Property", _boolean) for flag in model.STREETLIGHT_FLAGS},
    },
    model.STREETLIGHT_GROUP: {
        "powerState": ("Property", _POWER_STATE),
        "illuminanceLevel": ("Property", _LEVEL),
        "switchingMode": ("Property", None),
        "switchingOnHours": ("Property", None),
        "refStreetlight": ("Relationship", _relationship(model.STREETLIGHT)),
        "refStreetlightControlCabinet": ("Relationship", _relationship(model.CONTROL_CABINET)),
    },
    model.CONTROL_CABINET: {
        "workingMode": ("Property", _enum("automatic", "manual", "semiautomatic")),
        "energyConsumed": ("Property", _NON_NEGATIVE),
        "totalActivePower": ("Property", _NON_NEGATIVE),
        "totalReactivePower": ("Property", _number()),
        "voltage": ("Property", _phases),
        "intensity": ("Property", _phases),
        "activePower": ("Property", _phases),
        "reactivePower": ("Property", _phases),
        "powerFactor": ("Property", _phases),
        "frequency": ("Property", _NON_NEGATIVE),
    },
    model.AIR_QUALITY: {
        "dateObserved": ("Property", _datetime),
        "airQualityIndex": ("Property", _NON_NEGATIVE),
        "airQualityLevel": ("Property", _text),
        "temperature": ("Property", _number(-90, 70)),
        "relativeHumidity": ("Property", _number(0, 1)),
        "refDevice": ("Relationship", None),
        **{p: ("Property", _NON_NEGATIVE) for p in _POLLUTANTS},
    },
    model.TRAFFIC_FLOW: {
        "dateObserved": ("Property", _datetime),
        "intensity": ("Property", _NON_NEGATIVE),
        "occupancy": ("Property", _LEVEL),
        "averageVehicleSpeed": ("Property", _NON_NEGATIVE),
        "averageVehicleLength": ("Property", _NON_NEGATIVE),
        "congested": ("Property", _boolean),
        "laneId": ("Property", _NON_NEGATIVE),
        "laneDirection": ("Property", _enum("forward", "backward")),
    },
    model.WATER_LEVEL: {
        "dateObserved": ("Property", _datetime),
        "height": ("Property", _number(-1000, 10000)),
        "flow": ("Property", _NON_NEGATIVE),
        "temperature": ("Property", _number(-10, 60)),
        "alertLevel": ("Property", _text),
    },
}
_COMMON: dict[str, tuple[str, Rule | None]] = {
    "location": ("GeoProperty", None),
    "name": ("Property", _text),
    "description": ("Property", _text),
    "districtCode": ("Property", None),
    "address": ("Property", None),
}


def _check_rule(entity_type: str, name: str, kind: str, value: Any) -> None:
    rule = RULES.get(entity_type, {}).get(name) or _COMMON.get(name)
    if rule is None:
        if kind == "Property" and isinstance(value, str) and len(value) > 10_000:
            raise bad(f"{name} is too long", details={"attr": name})
        return
    expected, check = rule
    if kind != expected:
        raise bad(f"{name} must be a {expected}", details={"attr": name})
    if name == "districtCode" and not (isinstance(value, str) and _DISTRICT.match(value)):
        raise bad("districtCode must be a 6-digit administrative code", details={"attr": name})
    if check is not None:
        check(name, value)


# --- Derived columns and shapes ------------------------------------------------------------


def district_of(attrs: Mapping[str, Any]) -> str | None:
    """The entity's district code, if its attributes name one (None: keep the stored one)."""
    code = attrs.get("districtCode")
    if isinstance(code, Mapping) and isinstance(code.get("value"), str):
        return str(code["value"])
    address = attrs.get("address")
    if isinstance(address, Mapping) and isinstance(address.get("value"), Mapping):
        district = address["value"].get("district")
        if isinstance(district, str) and _DISTRICT.match(district):
            return district
    return None


def group_of(entity_type: str, attrs: Mapping[str, Any]) -> str | None:
    """The group an entity belongs to (a lamp's refStreetlightGroup), if named."""
    ref = attrs.get("refStreetlightGroup")
    if isinstance(ref, Mapping) and isinstance(ref.get("object"), str):
        return str(ref["object"])
    return None


def point_of(attrs: Mapping[str, Any]) -> tuple[float, float] | None:
    """The (lon, lat) of the entity's location, if it has one."""
    location = attrs.get("location")
    if isinstance(location, Mapping) and isinstance(location.get("value"), Mapping):
        return centroid(location["value"])
    return None


def scalar(value: Any) -> Scalar | bool:
    """A Property value as an Observation value (None for objects and lists)."""
    kind = type(value)
    if kind is float or kind is str or kind is bool:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    return None


_DEVICE_KEYS = frozenset({"value", "observedAt", "unitCode"})
_known_names: set[str] = set()


def _rule_for(entity_type: str, name: str) -> tuple[str, Rule | None] | None:
    return RULES.get(entity_type, {}).get(name) or _COMMON.get(name)


def device_attrs(
    entity_type: str, payload: Mapping[str, Any], *, now: datetime, future_seconds: int
) -> Attrs:
    """A device message (plain values or {value, observedAt, unitCode}) as normalized attrs.

    The hot path of telemetry ingestion: plain Properties are checked inline; anything else
    (a GeoProperty, a Relationship, a full normalized attribute) goes through parse_attr.
    """
    if not isinstance(payload, dict) or not payload:
        raise bad("a device message is a non-empty JSON object of attributes")
    latest = now + timedelta(seconds=future_seconds)
    out: Attrs = {}
    for name, raw in payload.items():
        if name not in _known_names:
            check_name(name)
            if len(_known_names) < 10_000:
                _known_names.add(name)
        if type(raw) is dict:
            if raw.get("type") in _ATTR_TYPES or name == "location":
                full = raw if "type" in raw else {"type": "GeoProperty", **raw}
                if "value" not in full and "coordinates" in full:
                    full = {"type": "GeoProperty", "value": raw}
                parsed = parse_attr(entity_type, name, full, now=now, future_seconds=future_seconds)
                if _has_nul(parsed):
                    raise _nul(name)
                out[name] = parsed
                continue
            if "value" in raw:
                for key in raw:
                    if key not in _DEVICE_KEYS:
                        raise bad(f"attribute {name!r} has unsupported member {key!r}")
                value = raw["value"]
                attr: dict[str, Any] = {"type": "Property", "value": value}
                at = raw.get("observedAt")
                if at is not None:
                    if type(at) is not str:
                        raise bad(f"{name}: observedAt must be an ISO 8601 string")
                    try:
                        when = checked_instant(at)
                    except ValueError as exc:
                        raise bad(
                            f"{name}: {at!r} is not an ISO 8601 date-time "
                            "(like 2026-12-01T08:00:00Z)",
                            details={"attr": name},
                        ) from exc
                    if when > latest:
                        raise bad(
                            f"{name}: observedAt {at} lies in the future",
                            details={"attr": name, "tolerance_seconds": future_seconds},
                        )
                    attr["observedAt"] = at
                unit = raw.get("unitCode")
                if unit is not None:
                    if type(unit) is not str or not 0 < len(unit) <= 20 or "\x00" in unit:
                        raise bad(f"attribute {name!r} has an invalid unitCode")
                    attr["unitCode"] = unit
            else:
                value, attr = raw, {"type": "Property", "value": raw}
        else:
            value, attr = raw, {"type": "Property", "value": raw}
        if value is None:
            raise bad(f"attribute {name!r} has no value", details={"attr": name})
        if (type(value) is str and "\x00" in value) or (
            (type(value) is dict or type(value) is list) and _has_nul(value)
        ):
            raise _nul(name)
        rule = _rule_for(entity_type, name)
        if rule is not None:
            expected, check = rule
            if expected != "Property":
                raise bad(f"{name} must be a {expected}", details={"attr": name})
            if check is not None:
                check(name, value)
            elif name == "districtCode":
                _check_rule(entity_type, name, "Property", value)
        out[name] = attr
    return out


def _has_nul(value: Any) -> bool:
    """Whether a JSON value holds U+0000 in any string (PostgreSQL's jsonb refuses it)."""
    if type(value) is str:
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in k or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _nul(name: str) -> BadRequest:
    # Refused per message: on PostgreSQL it failed the whole batch in the database, and the
    # MQTT bridge retried that batch forever.
    return bad(f"{name}: text must not contain the NUL character (U+0000)", details={"attr": name})


def key_values(entity: Mapping[str, Any]) -> dict[str, Any]:
    """The simplified (keyValues) representation of a normalized entity."""
    out: dict[str, Any] = {}
    for name, attr in entity.items():
        if isinstance(attr, Mapping) and "type" in attr and name not in _RESERVED:
            out[name] = attr.get("object") if attr["type"] == "Relationship" else attr.get("value")
        else:
            out[name] = attr
    return out


def now_utc() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)

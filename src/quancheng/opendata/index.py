"""The open-data index self-assessment: the city scored on the index's four layers.

The national index (开放数林) scores readiness, platform, data and utilization from
indicators that change every year, so each indicator here is a measured value against a
target (score = value / target, capped at 100), and the weights of layers and indicators
are configuration (DEFAULT_WEIGHTS, overridden by QC_OPEN_INDEX_WEIGHTS as JSON). The facts
come from the live database; the scoring is pure (`score`) and tested on its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from quancheng.catalog.model import PORTAL_OPEN_TYPES, EntryStatus, OpenType, ResourceFormat
from quancheng.catalog.service import CatalogService
from quancheng.datastore.freshness import Freshness, freshness
from quancheng.datastore.service import DatastoreService
from quancheng.db import Database
from quancheng.db.models import (
    CatalogEntry,
    Dataset,
    DataVersion,
    Department,
    PortalApplication,
    PortalDataRequest,
    PortalFeedback,
    PortalReuse,
    PortalReuseEntry,
    PortalUsage,
    User,
    utcnow,
)
from quancheng.identity.roles import Role
from quancheng.ledger.log import Ledger
from quancheng.opendata.ckan import LICENSE_OF
from quancheng.settings import Settings

LAYERS = ("readiness", "platform", "data", "utilization")
# An indicator below this score gets its advice on the page.
WEAK_BELOW = 80.0
# Days within which a data request or an error report counts as answered in time.
ANSWER_DAYS = 15
# Days of usage the utilization layer looks at.
USAGE_DAYS = 30
# States (set by the interaction and reuse features) that mean "shown to the public".
APPROVED_STATES = frozenset({"approved", "published", "featured"})
RESOLVED_STATES = frozenset({"resolved", "declined", "fixed", "closed"})
# Comments the public sees (and so expects a reply under).
SHOWN_STATES = frozenset({"published", "approved"})
# Requests the authority has not passed to a department (no department's answer is due).
UNREVIEWED_REQUEST_STATES = ("pending_review", "rejected")
REUSE_KINDS = 4  # apps, research, visualisations, news
MACHINE_READABLE = frozenset(
    {
        ResourceFormat.SPREADSHEET.value,
        ResourceFormat.DATABASE.value,
        ResourceFormat.SELF_DESCRIBING.value,
        ResourceFormat.SERVICE_API.value,
    }
)
# High-demand topics the index looks for, and the words that show an entry covers one.
TOPICS: dict[str, tuple[str, ...]] = {
    "business": ("企业", "工商", "市场主体", "登记", "营业执照"),
    "transport": ("交通", "公交", "地铁", "出行", "道路", "停车"),
    "weather": ("气象", "天气", "降水", "气温", "降雨"),
    "credit": ("信用", "失信", "守信", "黑名单", "红名单"),
    "environment": ("空气", "环境", "水质", "污染", "PM2.5"),
    "health": ("医疗", "医院", "卫生", "药品"),
    "education": ("学校", "教育", "招生"),
    "social": ("社保", "养老", "就业", "社会保障"),
}


@dataclass(frozen=True)
class IndicatorSpec:
    """What an indicator measures and its target (its words are in web/index_pages.py)."""

    key: str
    layer: str
    unit: str  # "share" (0..1), "count" or "per_entry"
    target: float


SPECS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("rules_published", "readiness", "share", 1.0),
    IndicatorSpec("closed_justified", "readiness", "share", 1.0),
    IndicatorSpec("conditions_stated", "readiness", "share", 1.0),
    IndicatorSpec("stewards", "readiness", "share", 1.0),
    IndicatorSpec("access", "platform", "share", 0.9),
    IndicatorSpec("conditional_flow", "platform", "share", 0.9),
    IndicatorSpec("requests_answered", "platform", "share", 0.9),
    IndicatorSpec("errors_resolved", "platform", "share", 0.9),
    IndicatorSpec("comments_replied", "platform", "share", 0.8),
    IndicatorSpec("reuse_submissions", "platform", "count", 20),
    IndicatorSpec("open_entries", "data", "count", 1000),
    IndicatorSpec("open_share", "data", "share", 0.5),
    IndicatorSpec("open_rows", "data", "count", 1_000_000),
    IndicatorSpec("timely", "data", "share", 0.9),
    IndicatorSpec("machine_readable", "data", "share", 0.95),
    IndicatorSpec("metadata", "data", "share", 0.9),
    IndicatorSpec("licence", "data", "share", 1.0),
    IndicatorSpec("departments", "data", "share", 0.8),
    IndicatorSpec("topics", "data", "share", 1.0),
    IndicatorSpec("reuses", "utilization", "count", 30),
    IndicatorSpec("reuse_kinds", "utilization", "count", REUSE_KINDS),
    IndicatorSpec("reused_entries", "utilization", "share", 0.1),
    IndicatorSpec("usage", "utilization", "per_entry", 20),
)
SPEC_OF: dict[str, IndicatorSpec] = {s.key: s for s in SPECS}

DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "layers": {"readiness": 10, "platform": 25, "data": 40, "utilization": 25},
    "indicators": {
        "rules_published": 1,
        "closed_justified": 1,
        "conditions_stated": 1,
        "stewards": 1,
        "access": 3,
        "conditional_flow": 1,
        "requests_answered": 2,
        "errors_resolved": 1,
        "comments_replied": 1,
        "reuse_submissions": 1,
        "open_entries": 2,
        "open_share": 1,
        "open_rows": 1,
        "timely": 2,
        "machine_readable": 2,
        "metadata": 1,
        "licence": 1,
        "departments": 1,
        "topics": 2,
        "reuses": 2,
        "reuse_kinds": 1,
        "reused_entries": 1,
        "usage": 2,
    },
}


@dataclass(frozen=True)
class Weights:
    """Relative weights of the layers and, within each layer, of its indicators."""

    layers: dict[str, float]
    indicators: dict[str, float]


def parse_weights(override: str | Mapping[str, Any] | None = None) -> Weights:
    """The default weights with an override applied (JSON text or a mapping).

    Accepted shapes: {"layers": {"data": 50}, "indicators": {"timely": 3}} or flat
    {"data": 50, "timely": 3}; unknown names and negative weights are refused.
    """
    layers = dict(DEFAULT_WEIGHTS["layers"])
    indicators = dict(DEFAULT_WEIGHTS["indicators"])
    if override is None or override == "":
        return Weights(layers, indicators)
    raw: Any = json.loads(override) if isinstance(override, str) else override
    if not isinstance(raw, Mapping):
        raise ValueError("open index weights must be a JSON object")
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("layers", "indicators"):
            if not isinstance(value, Mapping):
                raise ValueError(f"open index weights: {key} must be an object")
            flat.update(value)
        else:
            flat[key] = value
    for key, value in flat.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"open index weight {key!r} must be a number >= 0")
        if key in layers:
            layers[key] = float(value)
        elif key in indicators:
            indicators[key] = float(value)
        else:
            raise ValueError(f"open index weights: unknown layer or indicator {key!r}")
    if sum(layers.values()) <= 0:
        raise ValueError("open index weights: at least one layer needs a weight above 0")
    return Weights(layers, indicators)


@dataclass(frozen=True)
class Fact:
    """A measured value and the figures its advice quotes."""

    value: float
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Indicator:
    """One scored indicator."""

    key: str
    layer: str
    unit: str
    value: float
    target: float
    score: float
    weight: float
    weak: bool
    params: dict[str, Any]


@dataclass(frozen=True)
class Layer:
    """One of the four layers and its indicators."""

    key: str
    weight: float
    score: float
    indicators: list[Indicator]


@dataclass(frozen=True)
class IndexResult:
    """The city's self-assessment: the overall score and each layer."""

    score: float
    layers: list[Layer]
    computed_at: datetime

    @property
    def weak(self) -> list[Indicator]:
        """Indicators to improve, the ones that cost the most points first."""
        found = [i for layer in self.layers for i in layer.indicators if i.weak]
        share = {layer.key: layer.weight for layer in self.layers}
        totals = {
            layer.key: sum(i.weight for i in layer.indicators) or 1.0 for layer in self.layers
        }
        return sorted(
            found,
            key=lambda i: -(100 - i.score) * i.weight / totals[i.layer] * share[i.layer],
        )

    def indicator(self, key: str) -> Indicator:
        """One indicator by key."""
        return next(i for layer in self.layers for i in layer.indicators if i.key == key)


def indicator_score(value: float, target: float) -> float:
    """0..100: the value's share of the target, capped."""
    if target <= 0:
        return 100.0
    return round(max(0.0, min(1.0, value / target)) * 100, 1)


def score(
    facts: Mapping[str, Fact], weights: Weights, *, computed_at: datetime | None = None
) -> IndexResult:
    """Score the indicators, the layers and the whole from measured facts (pure)."""
    layer_total = sum(weights.layers.values()) or 1.0
    layers = []
    for key in LAYERS:
        indicators = []
        for spec in (s for s in SPECS if s.layer == key):
            fact = facts.get(spec.key, Fact(0.0))
            points = indicator_score(fact.value, spec.target)
            indicators.append(
                Indicator(
                    key=spec.key,
                    layer=key,
                    unit=spec.unit,
                    value=fact.value,
                    target=spec.target,
                    score=points,
                    weight=weights.indicators.get(spec.key, 0.0),
                    weak=points < WEAK_BELOW,
                    params={
                        "value": _shown(fact.value, spec.unit),
                        "target": _shown(spec.target, spec.unit),
                        **fact.params,
                    },
                )
            )
        inner = sum(i.weight for i in indicators)
        layer_score = sum(i.score * i.weight for i in indicators) / inner if inner else 0.0
        layers.append(
            Layer(
                key=key,
                weight=weights.layers.get(key, 0.0) / layer_total,
                score=round(layer_score, 1),
                indicators=indicators,
            )
        )
    overall = sum(layer.score * layer.weight for layer in layers)
    return IndexResult(score=round(overall, 1), layers=layers, computed_at=computed_at or utcnow())


def _shown(value: float, unit: str) -> str:
    if unit == "share":
        return f"{value * 100:.0f}%"
    if unit == "per_entry":
        return f"{value:.1f}"
    return f"{int(value):,}"


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


class OpenDataIndex:
    """The open-data index self-assessment: the city scored on the index's four layers."""

    def __init__(
        self,
        *,
        db: Database,
        catalog: CatalogService,
        datastore: DatastoreService,
        ledger: Ledger,
        settings: Settings,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.datastore = datastore
        self.ledger = ledger
        self.settings = settings
        # QC_OPEN_INDEX_WEIGHTS (JSON), once wired; checked now so a bad value fails at start.
        self.weights = parse_weights(getattr(settings, "open_index_weights", None))
        self.licence = str(getattr(settings, "open_license", "") or "") or "cc-by"

    def assess(
        self, weights: str | Mapping[str, Any] | None = None, *, now: datetime | None = None
    ) -> IndexResult:
        """Score the city now (with these weights instead of the configured ones)."""
        now = now or utcnow()
        chosen = parse_weights(weights) if weights is not None else self.weights
        return score(self.facts(now=now), chosen, computed_at=now)

    def facts(self, *, now: datetime | None = None) -> dict[str, Fact]:
        """Every indicator's measured value, from the database."""
        now = now or utcnow()
        with self.db.reader() as s:
            facts: dict[str, Fact] = {}
            facts |= self._readiness(s)
            facts |= self._data(s, now)
            facts |= self._platform(s, now)
            facts |= self._utilization(s, now)
        return facts

    # -- the layers ---------------------------------------------------------------------

    def _public(self, s: Session) -> list[CatalogEntry]:
        return list(
            s.scalars(
                select(CatalogEntry)
                .where(
                    CatalogEntry.status == EntryStatus.PUBLISHED.value,
                    CatalogEntry.open_type.in_(PORTAL_OPEN_TYPES),
                )
                .options(selectinload(CatalogEntry.items))
            )
        )

    def _readiness(self, s: Session) -> dict[str, Fact]:
        published = CatalogEntry.status == EntryStatus.PUBLISHED.value
        closed = s.execute(
            select(
                func.count(CatalogEntry.id),
                func.count(CatalogEntry.id).filter(
                    or_(CatalogEntry.legal_basis != "", CatalogEntry.open_conditions != "")
                ),
            ).where(published, CatalogEntry.open_type == OpenType.CLOSED.value)
        ).one()
        conditional = s.execute(
            select(
                func.count(CatalogEntry.id),
                func.count(CatalogEntry.id).filter(CatalogEntry.open_conditions != ""),
            ).where(published, CatalogEntry.open_type == OpenType.CONDITIONAL.value)
        ).one()
        opening = set(
            s.scalars(
                select(CatalogEntry.department_id)
                .where(published, CatalogEntry.open_type.in_(PORTAL_OPEN_TYPES))
                .distinct()
            )
        )
        stewarded = set(
            s.scalars(
                select(User.department_id)
                .where(
                    User.role == Role.DATA_STEWARD.value,
                    User.is_active.is_(True),
                    User.department_id.is_not(None),
                )
                .distinct()
            )
        )
        licences = {LICENSE_OF.get(t) for t in PORTAL_OPEN_TYPES}
        rules = (bool(self.licence) + bool(licences - {None, ""})) / 2
        return {
            "rules_published": Fact(rules),
            "closed_justified": Fact(
                _share(closed[1], closed[0]) if closed[0] else 1.0,
                {"missing": closed[0] - closed[1]},
            ),
            "conditions_stated": Fact(
                _share(conditional[1], conditional[0]) if conditional[0] else 1.0,
                {"missing": conditional[0] - conditional[1]},
            ),
            "stewards": Fact(
                _share(len(opening & stewarded), len(opening)),
                {"missing": len(opening - stewarded)},
            ),
        }

    def _data(self, s: Session, now: datetime) -> dict[str, Fact]:
        public = self._public(s)
        ids = [e.id for e in public]
        loaded: dict[int, tuple[datetime, int]] = {}
        if ids:
            for entry_id, created, rows in s.execute(
                select(Dataset.entry_id, DataVersion.created_at, DataVersion.row_count)
                .join(DataVersion, DataVersion.id == Dataset.current_version_id)
                .where(Dataset.entry_id.in_(ids))
            ):
                loaded[entry_id] = (created, int(rows))
        published = (
            s.scalar(
                select(func.count(CatalogEntry.id)).where(
                    CatalogEntry.status == EntryStatus.PUBLISHED.value
                )
            )
            or 0
        )
        late = 0
        for e in public:
            at = loaded[e.id][0] if e.id in loaded else None
            if freshness(e.update_cycle, _aware(at) if at else None, now) != Freshness.ON_TIME:
                late += 1
        readable = sum(1 for e in public if e.id in loaded or e.format in MACHINE_READABLE)
        licensed = sum(1 for e in public if LICENSE_OF.get(e.open_type))
        completeness = [_metadata(e) for e in public]
        departments = list(s.execute(select(Department.id, Department.name, Department.name_en)))
        opening = {e.department_id for e in public}
        missing = [name for dept_id, name, _ in departments if dept_id not in opening]
        missing_en = [en or name for dept_id, name, en in departments if dept_id not in opening]
        uncovered = [topic for topic, words in TOPICS.items() if not _covers(public, words)]
        n = len(public)
        return {
            "open_entries": Fact(float(n)),
            "open_share": Fact(_share(n, published), {"closed": published - n}),
            "open_rows": Fact(float(sum(rows for _, rows in loaded.values()))),
            "timely": Fact(_share(n - late, n), {"late": late}),
            "machine_readable": Fact(_share(readable, n), {"missing": n - readable}),
            "metadata": Fact(sum(completeness) / n if n else 0.0),
            "licence": Fact(_share(licensed, n), {"missing": n - licensed}),
            "departments": Fact(
                _share(len(departments) - len(missing), len(departments)),
                {
                    "missing": len(missing),
                    "names": "、".join(missing[:5]),
                    "names_en": ", ".join(missing_en[:5]),
                },
            ),
            "topics": Fact(
                _share(len(TOPICS) - len(uncovered), len(TOPICS)),
                {"keys": uncovered, "names": "、".join(uncovered), "missing": len(uncovered)},
            ),
        }

    def _platform(self, s: Session, now: datetime) -> dict[str, Fact]:
        public_open = s.execute(
            select(
                func.count(CatalogEntry.id),
                func.count(Dataset.current_version_id),
            )
            .outerjoin(Dataset, Dataset.entry_id == CatalogEntry.id)
            .where(
                CatalogEntry.status == EntryStatus.PUBLISHED.value,
                CatalogEntry.open_type == OpenType.OPEN.value,
            )
        ).one()
        in_time = timedelta(days=ANSWER_DAYS)
        requests = list(
            s.execute(
                select(PortalDataRequest.created_at, PortalDataRequest.answered_at).where(
                    PortalDataRequest.state.not_in(UNREVIEWED_REQUEST_STATES)
                )
            )
        )
        due = [(c, a) for c, a in requests if a is not None or _aware(c) + in_time <= now]
        answered = sum(1 for c, a in due if a is not None and _aware(a) - _aware(c) <= in_time)
        feedback = list(
            s.execute(select(PortalFeedback.kind, PortalFeedback.state, PortalFeedback.reply))
        )
        errors = [(state, reply) for kind, state, reply in feedback if kind == "error"]
        resolved = sum(1 for state, reply in errors if state in RESOLVED_STATES or reply)
        comments = [
            reply for kind, state, reply in feedback if kind != "error" and state in SHOWN_STATES
        ]
        replied = sum(1 for reply in comments if reply)
        apps = list(s.execute(select(PortalApplication.deadline_at, PortalApplication.decided_at)))
        apps_due = [
            (d, at) for d, at in apps if at is not None or (d is not None and _aware(d) <= now)
        ]
        apps_late = sum(
            1 for d, at in apps_due if at is None or (d is not None and _aware(at) > _aware(d))
        )
        submissions = s.scalar(select(func.count(PortalReuse.id))) or 0
        return {
            "access": Fact(
                _share(public_open[1], public_open[0]),
                {"missing": public_open[0] - public_open[1]},
            ),
            "conditional_flow": Fact(
                _share(len(apps_due) - apps_late, len(apps_due)),
                {"late": apps_late, "total": len(apps_due)},
            ),
            "requests_answered": Fact(
                _share(answered, len(due)), {"late": len(due) - answered, "total": len(due)}
            ),
            "errors_resolved": Fact(
                _share(resolved, len(errors)),
                {"open": len(errors) - resolved, "total": len(errors)},
            ),
            "comments_replied": Fact(
                _share(replied, len(comments)),
                {"open": len(comments) - replied, "total": len(comments)},
            ),
            "reuse_submissions": Fact(float(submissions)),
        }

    def _utilization(self, s: Session, now: datetime) -> dict[str, Fact]:
        approved = PortalReuse.state.in_(APPROVED_STATES)
        reuses = s.scalar(select(func.count(PortalReuse.id)).where(approved)) or 0
        kinds = s.scalar(select(func.count(func.distinct(PortalReuse.kind))).where(approved)) or 0
        public = (
            select(CatalogEntry.id)
            .where(
                CatalogEntry.status == EntryStatus.PUBLISHED.value,
                CatalogEntry.open_type.in_(PORTAL_OPEN_TYPES),
            )
            .scalar_subquery()
        )
        n = (
            s.scalar(
                select(func.count(CatalogEntry.id)).where(
                    CatalogEntry.status == EntryStatus.PUBLISHED.value,
                    CatalogEntry.open_type.in_(PORTAL_OPEN_TYPES),
                )
            )
            or 0
        )
        used = (
            s.scalar(
                select(func.count(func.distinct(PortalReuseEntry.entry_id)))
                .join(PortalReuse, PortalReuse.id == PortalReuseEntry.reuse_id)
                .where(approved, PortalReuseEntry.entry_id.in_(public))
            )
            or 0
        )
        since = (now - timedelta(days=USAGE_DAYS)).date().isoformat()
        uses = (
            s.scalar(
                select(
                    func.coalesce(func.sum(PortalUsage.downloads + PortalUsage.api_calls), 0)
                ).where(PortalUsage.day > since, PortalUsage.entry_id.in_(public))
            )
            or 0
        )
        return {
            "reuses": Fact(float(reuses)),
            "reuse_kinds": Fact(float(kinds)),
            "reused_entries": Fact(_share(used, n), {"used": used, "total": n}),
            "usage": Fact(int(uses) / n if n else 0.0),
        }


def _aware(at: datetime) -> datetime:
    # SQLite hands back naive UTC timestamps; PostgreSQL aware ones.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _metadata(e: CatalogEntry) -> float:
    checks = (
        bool(e.name_en),
        bool(e.abstract_en),
        len(e.abstract or "") >= 20,
        bool(e.keywords),
        bool(e.items),
        bool(e.source_system),
    )
    return sum(checks) / len(checks)


def _covers(entries: list[CatalogEntry], words: tuple[str, ...]) -> bool:
    for e in entries:
        text = e.name + " " + " ".join(e.keywords or ())
        if any(w in text for w in words):
            return True
    return False

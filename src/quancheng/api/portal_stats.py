"""API routes of the portal's figures: the open-data index and the use of open data."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from quancheng.api.deps import PrincipalDep, ServicesDep
from quancheng.api.schemas import API_ERRORS
from quancheng.opendata.usage import UsageFigures, parse_period
from quancheng.web.i18n import translations
from quancheng.web.index_pages import LAYER_TEXT, advice, label

router = APIRouter(prefix="/portal", tags=["portal"], responses=API_ERRORS)


class IndicatorOut(BaseModel):
    """One scored indicator."""

    key: str
    label: str
    unit: str = Field(description="share (0..1), count or per_entry")
    value: float
    target: float
    score: float = Field(description="0..100")
    weight: float = Field(description="relative weight within its layer")
    weak: bool
    improve: str | None = Field(description="what to improve, for weak indicators")


class LayerOut(BaseModel):
    """One of the four layers."""

    key: str = Field(description="readiness, platform, data or utilization")
    label: str
    weight: float = Field(description="share of the overall score (0..1)")
    score: float = Field(description="0..100")
    indicators: list[IndicatorOut]


class ImproveOut(BaseModel):
    """One thing to improve, the costliest first."""

    indicator: str
    layer: str
    text: str


class IndexOut(BaseModel):
    """The city's open-data index self-assessment."""

    score: float = Field(description="0..100")
    computed_at: dt.datetime
    layers: list[LayerOut]
    improve: list[ImproveOut]


class FiguresOut(BaseModel):
    """Views, downloads and API calls."""

    views: int
    downloads: int
    api_calls: int
    total: int

    @classmethod
    def of(cls, f: UsageFigures) -> FiguresOut:
        """From usage figures."""
        return cls(views=f.views, downloads=f.downloads, api_calls=f.api_calls, total=f.total)


class DepartmentUsageOut(BaseModel):
    """A department's open entries' use."""

    key: str
    name: str
    name_en: str
    entries: int = Field(description="entries used in the period")
    figures: FiguresOut


class EntryUsageOut(BaseModel):
    """An entry's use."""

    entry_id: int
    code: str
    name: str
    department: str
    figures: FiguresOut


class DayUsageOut(BaseModel):
    """One day's use."""

    day: dt.date
    figures: FiguresOut


class UsageOut(BaseModel):
    """Use of open data over a period (days in the city's time zone, both ends included)."""

    start: dt.date
    end: dt.date
    total: FiguresOut
    departments: list[DepartmentUsageOut]
    entries: list[EntryUsageOut]
    days: list[DayUsageOut]


@router.get("/index", response_model=IndexOut)
def open_index(
    services: ServicesDep,
    principal: PrincipalDep,
    locale: Annotated[
        Literal["zh_CN", "en"] | None, Query(description="language of the texts")
    ] = None,
) -> IndexOut:
    """The open-data index self-assessment: overall, per layer, per indicator, what to improve."""
    # Public like the open portal, whether or not the internal catalog is (public_catalog).
    language = locale or services.settings.default_locale
    gettext = translations(language).gettext
    english = language == "en"
    result = services.open_index.assess()
    return IndexOut(
        score=result.score,
        computed_at=result.computed_at,
        layers=[
            LayerOut(
                key=layer.key,
                label=gettext(LAYER_TEXT[layer.key]),
                weight=round(layer.weight, 4),
                score=layer.score,
                indicators=[
                    IndicatorOut(
                        key=i.key,
                        label=label(i, gettext),
                        unit=i.unit,
                        value=round(i.value, 4),
                        target=i.target,
                        score=i.score,
                        weight=i.weight,
                        weak=i.weak,
                        improve=advice(i, gettext, english=english) if i.weak else None,
                    )
                    for i in layer.indicators
                ],
            )
            for layer in result.layers
        ],
        improve=[
            ImproveOut(indicator=i.key, layer=i.layer, text=advice(i, gettext, english=english))
            for i in result.weak
        ],
    )


@router.get("/usage", response_model=UsageOut)
def usage(
    services: ServicesDep,
    principal: PrincipalDep,
    start: Annotated[dt.date | None, Query(description="first day (default: 30 days ago)")] = None,
    end: Annotated[dt.date | None, Query(description="last day (default: today)")] = None,
    department: Annotated[
        str | None, Query(max_length=40, description="a department's key")
    ] = None,
    entry: Annotated[int | None, Query(ge=1, description="one entry's id")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="entries, busiest first")] = 20,
) -> UsageOut:
    """Views, downloads and API calls of open entries: city, per department, entry and day.

    Narrowed to one department (`department`, its key) or one entry (`entry`, its id).
    """
    # Counts of open entries only: public like the open portal, whatever public_catalog says.
    counter = services.usage
    first, last = parse_period(start, end, today=counter.today())
    report = counter.report(first, last, department=department, entry_id=entry, limit=limit)
    return UsageOut(
        start=report.start,
        end=report.end,
        total=FiguresOut.of(report.total),
        departments=[
            DepartmentUsageOut(
                key=d.key,
                name=d.name,
                name_en=d.name_en,
                entries=d.entries,
                figures=FiguresOut.of(d.figures),
            )
            for d in report.departments
        ],
        entries=[
            EntryUsageOut(
                entry_id=e.entry_id,
                code=e.code,
                name=e.name,
                department=e.department_key,
                figures=FiguresOut.of(e.figures),
            )
            for e in report.entries
        ],
        days=[
            DayUsageOut(day=dt.date.fromisoformat(d.day), figures=FiguresOut.of(d.figures))
            for d in report.days
        ],
    )

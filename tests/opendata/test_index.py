"""The open-data index self-assessment: scores follow the city's data, weights are configurable."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update

from quancheng.app import Services
from quancheng.db.models import (
    DataVersion,
    PortalDataRequest,
    PortalFeedback,
    PortalReuse,
    PortalReuseEntry,
    utcnow,
)
from quancheng.opendata.index import (
    DEFAULT_WEIGHTS,
    LAYERS,
    SPECS,
    Fact,
    IndexResult,
    indicator_score,
    parse_weights,
    score,
)
from tests.support.city import SmallCity, entry_fields


def publish(city: SmallCity, **overrides: Any) -> int:
    """A published entry of 生态环境局."""
    steward = city.principals["env_steward"]
    catalog = city.services.catalog
    entry = catalog.create(steward, department="sthjj", fields=entry_fields(**overrides))
    catalog.submit(steward, entry.id)
    catalog.publish(steward, entry.id)
    return entry.id


def load(city: SmallCity, entry_id: int, tmp_path: Path) -> None:
    """Two rows of data for the entry."""
    path = tmp_path / f"d{entry_id}.csv"
    path.write_text(
        "监测站点,监测时间,PM2.5浓度\n"
        "市监测站,2024-01-05 08:00:00,35.5\n"
        "开发区,2024-01-05 09:00:00,41\n",
        encoding="utf-8",
    )
    steward = city.principals["env_steward"]
    job = city.services.datastore.start_load(steward, entry_id, source_name=path.name)
    assert city.services.datastore.run_load(job.id, path).status == "succeeded"


def values(result: IndexResult) -> dict[str, float]:
    """Every indicator's score by key."""
    return {i.key: i.score for layer in result.layers for i in layer.indicators}


def layers(result: IndexResult) -> dict[str, float]:
    """Every layer's score by key."""
    return {layer.key: layer.score for layer in result.layers}


def test_an_empty_city_scores_without_errors(services: Services) -> None:
    result = services.open_index.assess()
    assert [layer.key for layer in result.layers] == list(LAYERS)
    assert 0 <= result.score <= 100
    ind = result.indicator("requests_answered")
    assert (ind.value, ind.score, ind.weak) == (0.0, 0.0, True)
    assert result.indicator("open_entries").value == 0
    assert len(result.weak) > 10


def test_data_layer_follows_open_entries_and_their_data(
    city: SmallCity, services: Services, tmp_path: Path
) -> None:
    first = services.open_index.assess()
    air = publish(city)
    load(city, air, tmp_path)
    publish(city, name="执法线索", open_type="closed", legal_basis="")
    after = services.open_index.assess()
    assert after.indicator("open_entries").value == 1
    assert after.indicator("open_rows").value == 2
    assert after.indicator("open_share").value == 0.5
    assert after.indicator("timely").value == 1.0
    assert after.indicator("access").value == 1.0
    assert after.indicator("closed_justified").value == 0.0
    assert after.indicator("closed_justified").params["missing"] == 1
    assert layers(after)["data"] > layers(first)["data"]
    # The air quality entry covers the environment topic, and only that one.
    topics = after.indicator("topics")
    assert "environment" not in topics.params["keys"] and "credit" in topics.params["keys"]


def test_late_entries_lower_the_timeliness_indicator_only_in_its_layer(
    city: SmallCity, services: Services, tmp_path: Path
) -> None:
    daily = publish(city, update_cycle="daily")
    load(city, daily, tmp_path)
    monthly = publish(city, name="水质月报", update_cycle="monthly")
    load(city, monthly, tmp_path)
    before = services.open_index.assess()
    assert before.indicator("timely").value == 1.0
    with services.db.transaction() as s:
        s.execute(update(DataVersion).values(created_at=utcnow() - timedelta(days=5)))
    after = services.open_index.assess()
    late = after.indicator("timely")
    assert late.value == 0.5 and late.params["late"] == 1 and late.weak
    assert layers(after)["data"] < layers(before)["data"]
    for key in ("readiness", "platform", "utilization"):
        assert layers(after)[key] == layers(before)[key]


def test_an_approved_reuse_raises_utilization(city: SmallCity, services: Services) -> None:
    air = publish(city)
    before = services.open_index.assess()
    with services.db.transaction() as s:
        pending = PortalReuse(title="草稿", kind="news", description="x", state="pending")
        app = PortalReuse(title="泉城空气", kind="app", description="x", state="approved")
        s.add_all([pending, app])
        s.flush()
        s.add(PortalReuseEntry(reuse_id=app.id, entry_id=air))
    after = services.open_index.assess()
    assert after.indicator("reuses").value == 1  # the pending one does not count
    assert after.indicator("reuse_kinds").value == 1
    assert after.indicator("reused_entries").value == 1.0
    assert after.indicator("reuse_submissions").value == 2
    assert layers(after)["utilization"] > layers(before)["utilization"]
    assert layers(after)["data"] == layers(before)["data"]


def test_interaction_indicators_count_answers_in_time(city: SmallCity, services: Services) -> None:
    air = publish(city)
    now = utcnow()
    with services.db.transaction() as s:
        s.add_all(
            [
                PortalDataRequest(
                    title="公交到站",
                    description="x",
                    state="answered",
                    created_at=now - timedelta(days=20),
                    answered_at=now - timedelta(days=18),
                ),
                PortalDataRequest(
                    title="停车位",
                    description="x",
                    state="open",
                    created_at=now - timedelta(days=30),
                ),
                # Not yet due, and not yet passed to a department: neither counts.
                PortalDataRequest(title="新的", description="x", state="open", created_at=now),
                PortalDataRequest(title="待审", description="x", state="pending_review"),
                PortalFeedback(entry_id=air, kind="error", body="错", state="open"),
                PortalFeedback(
                    entry_id=air, kind="error", body="错", state="resolved", reply="已改"
                ),
                PortalFeedback(
                    entry_id=air, kind="comment", body="好", state="published", reply="谢谢"
                ),
                PortalFeedback(entry_id=air, kind="comment", body="垃圾", state="rejected"),
            ]
        )
    result = services.open_index.assess()
    answered = result.indicator("requests_answered")
    assert answered.value == 0.5 and answered.params == {**answered.params, "late": 1, "total": 2}
    assert result.indicator("errors_resolved").value == 0.5
    assert result.indicator("comments_replied").value == 1.0


def test_weights_override_changes_the_overall_score(city: SmallCity, services: Services) -> None:
    publish(city)
    default = services.open_index.assess()
    only_data = services.open_index.assess({"readiness": 0, "platform": 0, "utilization": 0})
    assert only_data.score == layers(only_data)["data"]
    assert only_data.score != default.score
    as_json = services.open_index.assess(json.dumps({"layers": {"data": 0, "platform": 0}}))
    assert {layer.key: layer.weight for layer in as_json.layers}["data"] == 0
    reweighted = services.open_index.assess({"indicators": {"open_entries": 0}})
    assert reweighted.indicator("open_entries").weight == 0


def test_the_configured_weights_are_read_from_settings(services: Services) -> None:
    from quancheng.opendata.index import OpenDataIndex

    settings = services.settings.model_copy()
    object.__setattr__(settings, "open_index_weights", '{"data": 100, "readiness": 0}')
    index = OpenDataIndex(
        db=services.db,
        catalog=services.catalog,
        datastore=services.datastore,
        ledger=services.ledger,
        settings=settings,
    )
    assert index.weights.layers["data"] == 100 and index.weights.layers["readiness"] == 0


@pytest.mark.parametrize(
    "bad",
    ['{"nope": 1}', '{"data": -1}', '{"data": "high"}', "[1, 2]", '{"layers": 3}', "{not json"],
)
def test_bad_weights_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_weights(bad)


def test_default_weights_cover_every_indicator() -> None:
    assert {s.key for s in SPECS} == set(DEFAULT_WEIGHTS["indicators"])
    assert set(LAYERS) == set(DEFAULT_WEIGHTS["layers"])


@given(st.floats(0, 1e9), st.floats(0.01, 1e6))
def test_an_indicator_scores_between_0_and_100(value: float, target: float) -> None:
    points = indicator_score(value, target)
    assert 0 <= points <= 100
    assert indicator_score(value * 2, target) >= points
    if value >= target:
        assert points == 100


@given(st.dictionaries(st.sampled_from([s.key for s in SPECS]), st.floats(0, 2), max_size=23))
def test_meeting_more_targets_never_lowers_the_score(raised: dict[str, float]) -> None:
    weights = parse_weights()
    low = {s.key: Fact(0.0) for s in SPECS}
    high = {
        **low,
        **{k: Fact(v * next(s.target for s in SPECS if s.key == k)) for k, v in raised.items()},
    }
    assert score(high, weights).score >= score(low, weights).score == 0.0
    full = score({s.key: Fact(s.target) for s in SPECS}, weights)
    assert full.score == 100.0 and full.weak == []

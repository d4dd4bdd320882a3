"""The sharing scorecard: the figures a department head checks, from a real exchange history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from quancheng.app import API_PREFIX, Services
from quancheng.db.models import utcnow
from quancheng.identity.roles import Principal
from quancheng.sharing.metrics import SharingMetrics, score
from quancheng.sharing.model import Action, RequestState
from quancheng.sharing.service import SharingService
from tests.support.city import SmallCity, entry_fields
from tests.support.sharing import Exchange, seed_exchange


@dataclass
class Clock:
    """A clock the test moves forward."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: float) -> None:
        self.now += timedelta(days=days)


@dataclass
class History:
    """Three answered or pending requests to the police, one late, one never answered."""

    exchange: Exchange
    sharing: SharingService
    clock: Clock
    approved: int
    rejected_late: int
    pending: int
    draft: int
    grant_id: int


def _publish(city: SmallCity, steward: str, department: str, **fields: object) -> int:
    services = city.services
    actor = city.principals[steward]
    entry = services.catalog.create(actor, department=department, fields=entry_fields(**fields))
    services.catalog.submit(actor, entry.id)
    services.catalog.publish(actor, entry.id)
    return entry.id


def _submitted(sharing: SharingService, ex: Exchange, purpose: str) -> int:
    view = sharing.create_request(
        ex.consumer,
        dataset_id=ex.entry_id,
        purpose=purpose,
        scenario="按户籍核验低保申请人",
        items=["姓名", "所属区县"],
        period_days=365,
    )
    sharing.act(ex.consumer, view.id, Action.SUBMIT)
    if sharing.rules.compliance_check:
        sharing.act(ex.platform, view.id, Action.PASS)
    return view.id


@pytest.fixture
def history(city: SmallCity, tmp_path: Path) -> History:
    """Forty days of exchange between the ecology bureau (consumer) and the police (provider)."""
    ex = seed_exchange(city, tmp_path)
    services = city.services
    # The police also keep one entry that is not shared, so half of their catalog is shareable.
    _publish(
        city,
        "gaj_steward",
        "gaj",
        name="刑事案件侦查信息",
        classification_code="101001",
        sharing_type="none",
        legal_basis="《中华人民共和国刑事诉讼法》第一百五十二条",
        open_type="closed",
        security_grade="important",
    )
    clock = Clock(utcnow() - timedelta(days=40))
    sharing = SharingService(
        db=services.db,
        catalog=services.catalog,
        datastore=services.datastore,
        ledger=services.ledger,
        rules=services.sharing.rules,
        clock=clock,
    )
    approved = _submitted(sharing, ex, "社会救助资格审核")
    rejected_late = _submitted(sharing, ex, "城市管理执法核查")
    clock.advance(1)
    view = sharing.act(ex.provider, approved, Action.APPROVE)
    assert view.answered_on_time and view.grant_id is not None
    clock.advance(1)
    pending = _submitted(sharing, ex, "不动产登记办理")
    draft = sharing.create_request(
        ex.consumer, dataset_id=ex.entry_id, purpose="草稿", items=["姓名"], period_days=30
    ).id
    sharing.raise_dispute(ex.consumer, grant_id=view.grant_id, description="户籍地址与实际不符")
    clock.advance(28)
    late = sharing.act(ex.provider, rejected_late, Action.REJECT, reason="缺少法定依据")
    assert late.answered_on_time is False
    return History(ex, sharing, clock, approved, rejected_late, pending, draft, view.grant_id)


def _read(services: Services, actor: Principal, entry_id: int, times: int) -> None:
    for _ in range(times):
        services.reads.rows(actor, entry_id, [("_limit", "5")], total=False)
    services.access.flush()


def test_police_scorecard_shows_rate_lateness_overdue_and_calls(
    services: Services, city: SmallCity, history: History
) -> None:
    ex = history.exchange
    _read(services, ex.consumer, ex.entry_id, 3)

    police = SharingMetrics(db=services.db).department("gaj")

    assert police.department.key == "gaj"
    assert (police.entries, police.shareable, police.not_shared) == (2, 1, 1)
    assert police.sharing_rate == 0.5
    assert police.requests_received == 3  # the draft is not the police's business yet
    assert (police.answered, police.answered_on_time) == (2, 1)
    assert police.on_time_rate == 0.5
    # Answered after one and after thirty calendar days, counted in the city's working days
    # (which ones depends on the weekday and the holidays the history falls on).
    rules, start = history.sharing.rules, history.clock.now - timedelta(days=30)
    quick = rules.workdays(start, start + timedelta(days=1))
    slow = rules.workdays(start, start + timedelta(days=30))
    assert quick <= 1 and slow >= 15
    assert police.avg_answer_days == pytest.approx((quick + slow) / 2)
    assert (police.pending, police.overdue) == (1, 1)
    assert police.grants_given == 1 and police.grants_held == 0
    assert police.calls_served == 3
    assert (police.disputes_received, police.disputes_open, police.disputes_overdue) == (1, 1, 1)
    # 40 × 0.5 sharing + 40 × 1/3 timeliness (the overdue request counts as late) + 0 disputes
    assert police.score == pytest.approx(33.3)

    ecology = SharingMetrics(db=services.db).department(city.departments["sthjj"])
    assert ecology.requests_made == 3
    assert ecology.grants_held == 1 and ecology.calls_made == 3
    assert ecology.requests_received == 0 and ecology.on_time_rate is None


def test_city_counts_every_state_and_the_overdue(services: Services, history: History) -> None:
    city = SharingMetrics(db=services.db).city()

    assert set(city.requests_by_state) == {s.value for s in RequestState} | {"overdue"}
    assert city.requests_by_state["draft"] == 1
    assert city.requests_by_state["approved"] == 1
    assert city.requests_by_state["rejected"] == 1
    assert city.requests_by_state["pending_provider"] == 1
    assert city.requests_by_state["overdue"] == 1
    assert city.requests_by_state["negotiating"] == 0
    assert city.departments == 3 and city.entries == 2 and city.shareable == 1
    assert city.on_time_rate == 0.5 and city.grants_active == 1
    assert (city.disputes_open, city.disputes_overdue) == (1, 1)


def test_metrics_clock_decides_what_is_overdue(services: Services, history: History) -> None:
    # Seen from the day after the last request was passed on, nothing is late yet.
    then = history.clock.now - timedelta(days=27)
    police = SharingMetrics(db=services.db, clock=lambda: then).department("gaj")
    assert police.overdue == 0 and police.disputes_overdue == 0


def test_departments_are_ranked_and_the_busiest_grant_is_named(
    services: Services, city: SmallCity, history: History
) -> None:
    ex = history.exchange
    env_entry = _publish(city, "env_steward", "sthjj")
    subscription = services.sharing.subscribe(
        city.principals["gaj_user"], dataset_id=env_entry, purpose="环境污染案件侦办"
    )
    _read(services, ex.consumer, ex.entry_id, 2)
    metrics = SharingMetrics(db=services.db)

    ranked = metrics.departments()

    assert len(ranked) == 3
    assert [d.score for d in ranked] == sorted((d.score for d in ranked), reverse=True)
    assert ranked[-1].department.key == "gaj"  # late, overdue and an unanswered dispute
    busiest = metrics.grant_calls(limit=5)
    assert busiest[0]["grant_id"] == history.grant_id
    assert busiest[0]["calls"] == 2 and busiest[0]["rows"] == 10
    assert busiest[0]["consumer"] == "济南市生态环境局"
    assert busiest[0]["provider"] == "济南市公安局"
    assert all(g["grant_id"] != subscription.id for g in busiest)  # never read


def test_unknown_department_is_not_found(services: Services, city: SmallCity) -> None:
    from quancheng.errors import NotFound

    metrics = SharingMetrics(db=services.db)
    with pytest.raises(NotFound):
        metrics.department("nope")
    with pytest.raises(NotFound):
        metrics.department(9999)
    for digits in ("²", "①", "٣"):  # digits int() refuses or reads as 3: names, not ids
        with pytest.raises(NotFound):
            metrics.department(digits)


def test_score_gives_full_timeliness_without_requests() -> None:
    full = score(
        entries=4,
        shareable=4,
        answered_on_time=0,
        answered=0,
        overdue=0,
        disputes_received=0,
        disputes_late=0,
    )
    assert full == 100.0
    assert (
        score(
            entries=0,
            shareable=0,
            answered_on_time=0,
            answered=0,
            overdue=2,
            disputes_received=1,
            disputes_late=1,
        )
        == 0.0
    )


def test_api_serves_government_users_only(
    client: TestClient, city: SmallCity, history: History
) -> None:
    assert client.get(f"{API_PREFIX}/metrics/departments").status_code == 401
    denied = client.get(f"{API_PREFIX}/metrics/departments", headers=city.auth("citizen"))
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "permission_denied"

    board = client.get(f"{API_PREFIX}/metrics/departments", headers=city.auth("gaj_user"))
    assert board.status_code == 200
    body = board.json()
    assert body["city"]["requests_by_state"]["overdue"] == 1
    assert {d["department"]["key"] for d in body["departments"]} == {"bigdata", "gaj", "sthjj"}

    one = client.get(f"{API_PREFIX}/metrics/departments/gaj", headers=city.auth("admin"))
    assert one.status_code == 200 and one.json()["on_time_rate"] == 0.5
    missing = client.get(f"{API_PREFIX}/metrics/departments/nope", headers=city.auth("admin"))
    assert missing.status_code == 404

    grants = client.get(f"{API_PREFIX}/metrics/grants", headers=city.auth("env_steward"))
    assert grants.status_code == 200 and grants.json() == []

"""The demo city's six months of sharing history, made through the real exchange."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from quancheng.app import Services
from quancheng.db.models import PortalApplication, SharingDispute, SharingGrant, SharingRequest
from quancheng.demo.build import ACCOUNT_DEPARTMENTS
from quancheng.demo.sharing import _History
from quancheng.identity.roles import Principal
from quancheng.sharing.metrics import SharingMetrics
from quancheng.sharing.model import RequestState


def test_every_request_state_occurs_and_some_are_overdue_and_escalated(
    demo: tuple[Services, dict[str, object]],
) -> None:
    services, summary = demo
    city = SharingMetrics(db=services.db).city()

    occurring = {s for s, n in city.requests_by_state.items() if n > 0}
    assert occurring >= {s.value for s in RequestState}
    assert sum(city.requests_by_state[s.value] for s in RequestState) >= 180
    assert city.requests_by_state["overdue"] > 0
    assert 0.5 < (city.on_time_rate or 0) < 1.0  # most answers in time, some late
    with services.db.reader() as s:
        escalated = s.scalar(select(func.count()).where(SharingRequest.escalated_at.is_not(None)))
    assert escalated
    assert isinstance(summary["sharing"], dict) and summary["sharing"]["requests"] >= 180


def test_grants_subscriptions_endings_disputes_and_usage(
    demo: tuple[Services, dict[str, object]],
) -> None:
    services, _ = demo
    with services.db.reader() as s:
        by_state = dict(
            s.execute(select(SharingGrant.state, func.count()).group_by(SharingGrant.state)).all()
        )
        subscriptions = s.scalar(select(func.count()).where(SharingGrant.kind == "subscription"))
        disputes = dict(
            s.execute(
                select(SharingDispute.state, func.count()).group_by(SharingDispute.state)
            ).all()
        )
    assert by_state.get("revoked", 0) > 0 and by_state.get("expired", 0) > 0
    assert by_state.get("withdrawn", 0) > 0 and by_state["active"] > 100
    assert subscriptions is not None and subscriptions >= 60
    assert disputes.get("confirmed", 0) > 0 and disputes.get("open", 0) > 0
    city = SharingMetrics(db=services.db).city()
    assert city.disputes_overdue > 0
    assert city.calls_total > 1000


def test_every_demo_login_has_both_sides_of_the_workbench(
    demo: tuple[Services, dict[str, object]],
) -> None:
    services, _ = demo
    metrics = SharingMetrics(db=services.db)
    for key in ACCOUNT_DEPARTMENTS:
        score = metrics.department(key)
        assert score.requests_made > 0, key
        assert score.requests_received + score.grants_given > 0, key


def test_city_figures_and_the_ledger_still_verify(demo: tuple[Services, dict[str, object]]) -> None:
    services, _ = demo
    city = SharingMetrics(db=services.db).city()
    assert city.departments >= 60
    assert city.entries >= 2900 and city.sharing_rate >= 0.75
    assert services.ledger.verify().ok


def test_the_plan_is_the_same_for_a_seed(demo: tuple[Services, dict[str, object]]) -> None:
    services, _ = demo
    now = datetime(2025, 6, 30, 4, tzinfo=UTC)

    def plan(seed: int) -> list[tuple[object, ...]]:
        history = _History(services, seed=seed, now=now)
        cases = history.plan_requests()
        times = [t for t, _, _ in history.timeline]
        return [(c.consumer.key, c.entry.code, tuple(c.items), c.purpose) for c in cases] + [
            tuple(times)
        ]

    assert plan(5) == plan(5)
    assert plan(5) != plan(6)


def test_conditional_open_data_applications_in_every_state(
    demo: tuple[Services, dict[str, object]],
) -> None:
    services, summary = demo
    counts = summary["applications"]
    assert isinstance(counts, dict)
    with services.db.reader() as s:
        states = dict(
            s.execute(
                select(PortalApplication.state, func.count()).group_by(PortalApplication.state)
            ).all()
        )
        public_grants = s.scalars(
            select(SharingGrant).where(SharingGrant.kind == "open_application")
        ).all()
    assert set(states) == {"pending", "approved", "rejected", "withdrawn"}
    assert sum(states.values()) == counts["applications"] >= 30
    assert len(public_grants) == states["approved"]
    # Every approved applicant holds a token bound to their grant, and no department does.
    assert all(g.applications and g.user_id and g.department_id is None for g in public_grants)


def test_demo_staff_are_shown_by_department_and_job(
    demo: tuple[Services, dict[str, object]],
) -> None:
    # The users list and every history show display names: "市公安局数据管理员", not "gaj …".
    services, _ = demo
    users, _ = services.identity.find_users(Principal.system("test"), limit=100)
    shown = {u.username: u.display_name for u in users}
    assert shown["gaj_steward"] == "市公安局数据管理员"
    assert shown["sthjj_admin"] == "市生态环境局部门管理员"
    assert not any(name.split()[0] in ACCOUNT_DEPARTMENTS for name in shown.values())

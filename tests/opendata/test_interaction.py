"""The interaction service: spam rules, moderation, department boundaries, the demo history."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quancheng.db.models import PortalDataRequest, PortalFeedback, PortalReuse
from quancheng.demo.interaction import seed_interaction
from quancheng.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from quancheng.identity.roles import Principal
from quancheng.opendata.interaction_model import (
    BODY_MAX,
    MAX_LINKS,
    REQUEST_STATES,
    TITLE_MAX,
    count_links,
    text_problems,
    url_problem,
)
from tests.support.city import SmallCity
from tests.web.support import publish


def open_entry(city: SmallCity, **overrides: object) -> int:
    return publish(city.services, city.principals["env_steward"], "sthjj", **overrides)


@given(st.text(max_size=BODY_MAX))
def test_text_within_limits_without_links_is_accepted(text: str) -> None:
    if count_links(text) <= MAX_LINKS and text.strip():
        assert text_problems([("body", text, BODY_MAX, True)]) == []


@given(st.integers(min_value=1, max_value=50))
def test_over_long_text_is_refused(extra: int) -> None:
    problems = text_problems([("title", "字" * (TITLE_MAX + extra), TITLE_MAX, True)])
    assert [p.code for p in problems] == ["too_long"]


def test_links_are_counted_across_fields() -> None:
    fields = [
        ("title", "见 https://a.example 和 www.b.example", TITLE_MAX, True),
        ("body", "http://c.example http://d.example", BODY_MAX, True),
    ]
    assert [p.code for p in text_problems(fields)] == ["too_many_links"]


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/app", True),
        ("http://example.org", True),
        ("", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<b>x</b>", False),
        ("ftp://example.org", False),
        ("https://", False),
        ("https://exa mple.org", False),
    ],
)
def test_only_http_addresses_are_accepted(url: str, ok: bool) -> None:
    assert (url_problem(url) is None) is ok


def test_anonymous_visitors_cannot_submit(city: SmallCity) -> None:
    interaction = city.services.interaction
    visitor = Principal.anonymous(public_catalog=True)
    with pytest.raises(NotAuthenticated):
        interaction.submit_request(visitor, title="数据", description="说明")


def test_pending_and_rejected_comments_are_not_public(city: SmallCity) -> None:
    interaction = city.services.interaction
    entry_id = open_entry(city)
    citizen, admin = city.principals["citizen"], city.principals["admin"]
    kept = interaction.add_feedback(citizen, entry_id, kind="comment", body="有用", rating=5)
    dropped = interaction.add_feedback(citizen, entry_id, kind="comment", body="垃圾", rating=1)
    assert interaction.entry_feedback(entry_id).comments == []
    interaction.moderate_comment(admin, kept.id, decision="publish")
    interaction.moderate_comment(admin, dropped.id, decision="reject")
    shown = interaction.entry_feedback(entry_id)
    assert [c.id for c in shown.comments] == [kept.id]
    assert (shown.average_rating, shown.ratings) == (5.0, 1)
    assert interaction.rating_of(entry_id) == (5.0, 1)
    visitor = Principal.anonymous(public_catalog=True)
    with pytest.raises(NotFound):
        interaction.get_feedback(visitor, dropped.id)


def test_a_department_answers_only_its_own_requests(city: SmallCity) -> None:
    interaction = city.services.interaction
    request = interaction.submit_request(
        city.principals["citizen"], title="河道水质", description="希望开放", department="sthjj"
    )
    interaction.review_request(city.principals["admin"], request.id, decision="accept")
    for role in ("gaj_steward", "gaj_admin", "env_steward_user_less"):
        if role not in city.principals:
            continue
        with pytest.raises(PermissionDenied):
            interaction.answer_request(
                city.principals[role], request.id, outcome="declined", answer="不予开放"
            )
    with pytest.raises(PermissionDenied):
        interaction.review_request(city.principals["env_steward"], request.id, decision="reject")
    answered = interaction.answer_request(
        city.principals["env_steward"], request.id, outcome="declined", answer="涉及隐私"
    )
    assert answered.state == "declined"


def test_published_answer_must_name_an_open_entry(city: SmallCity) -> None:
    interaction = city.services.interaction
    closed = open_entry(city, open_type="closed")
    request = interaction.submit_request(
        city.principals["citizen"], title="噪声数据", description="希望开放", department="sthjj"
    )
    interaction.review_request(city.principals["admin"], request.id, decision="accept")
    with pytest.raises(ValidationFailed) as refused:
        interaction.answer_request(
            city.principals["env_steward"],
            request.id,
            outcome="published",
            answer="已开放",
            entry=str(closed),
        )
    assert [e.code for e in refused.value.errors] == ["not_open"]
    assert interaction.get_request(city.principals["admin"], request.id).state == "open"


def test_one_vote_per_user(city: SmallCity) -> None:
    interaction = city.services.interaction
    request = interaction.submit_request(
        city.principals["citizen"], title="停车泊位", description="希望开放", department="sthjj"
    )
    with pytest.raises(NotFound):  # not public yet: no votes
        interaction.vote(city.principals["gaj_user"], request.id)
    interaction.review_request(city.principals["admin"], request.id, decision="accept")
    assert interaction.vote(city.principals["gaj_user"], request.id).votes == 1
    assert interaction.vote(city.principals["citizen"], request.id).votes == 2
    with pytest.raises(Conflict):
        interaction.vote(city.principals["gaj_user"], request.id)
    assert interaction.has_voted(city.principals["gaj_user"], request.id)
    assert not interaction.has_voted(city.principals["admin"], request.id)


def test_hourly_limit_counts_every_kind_of_submission(city: SmallCity) -> None:
    interaction = city.services.interaction
    interaction.submissions_per_hour = 3
    entry_id = open_entry(city)
    citizen = city.principals["citizen"]
    interaction.submit_request(citizen, title="一", description="说明一")
    interaction.add_feedback(citizen, entry_id, kind="error", body="错误")
    interaction.submit_reuse(
        citizen, title="应用", kind="app", description="说明", entries=[entry_id]
    )
    with pytest.raises(RateLimited):
        interaction.submit_request(citizen, title="二", description="说明二")


def test_demo_history_has_every_state(city: SmallCity) -> None:
    for n in range(6):
        open_entry(city, name=f"公交线路数据{n}")
    counts = seed_interaction(city.services, random.Random(7))  # noqa: S311 - demo data
    assert counts["requests"] == 40 and counts["comments"] == 150
    assert counts["errors"] == 20 and counts["reuses"] == 25
    with city.services.db.reader() as s:
        states = {r.state for r in s.query(PortalDataRequest)}
        assert states == set(REQUEST_STATES)
        feedback = {(f.kind, f.state) for f in s.query(PortalFeedback)}
        assert {("comment", "published"), ("comment", "pending"), ("error", "resolved")} <= feedback
        assert {r.kind for r in s.query(PortalReuse)} == {
            "app",
            "research",
            "visualisation",
            "news",
        }
    _, shown = city.services.interaction.list_reuses()
    assert shown and all(r.entries for r in shown)

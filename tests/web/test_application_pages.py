"""有条件开放 in the pages: a citizen applies, the police decide, the citizen takes a token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.city import SmallCity
from tests.support.sharing import Exchange, seed_exchange
from tests.web.support import browser, csrf_token, login


@pytest.fixture
def exchange(city: SmallCity, tmp_path: Path) -> Exchange:
    return seed_exchange(
        city, tmp_path, rows=12, open_type="conditional", open_conditions="用于学术研究"
    )


def send_application(citizen: TestClient, ex: Exchange, *, accept: bool = True) -> str:
    form_page = citizen.get(f"/open/datasets/{ex.entry_id}/apply")
    assert form_page.status_code == 200
    assert "数据使用协议" in form_page.text
    digest = re.search(r'name="agreement_sha256" value="([0-9a-f]{64})"', form_page.text)
    assert digest
    data = {
        "csrf_token": csrf_token(form_page.text),
        "agreement_sha256": digest.group(1),
        "purpose": "研究各区人口结构",
        "organisation": "山东大学",
        "period_days": "90",
    }
    if accept:
        data["accept"] = "yes"
    response = citizen.post(f"/open/datasets/{ex.entry_id}/apply", data=data)
    if not accept:
        assert response.status_code == 422
        return response.text
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_apply_decide_and_take_a_token_through_the_pages(
    client: TestClient, exchange: Exchange
) -> None:
    ex = exchange
    citizen = browser(client)
    token = login(citizen, "citizen")
    location = send_application(citizen, ex)
    page = citizen.get(location)
    assert "等待部门答复" in page.text and "研究各区人口结构" in page.text
    # The citizen sees no decision form on their own application.
    assert "/decide" not in page.text

    police = browser(client)
    police_token = login(police, "gaj_steward")
    inbox = police.get("/open/applications")
    assert "人口基本信息" in inbox.text
    detail = police.get(location)
    assert 'action="' + location + '/decide"' in detail.text
    approved = police.post(
        location + "/decide",
        data={"csrf_token": police_token, "decision": "approve", "quota_per_day": "50"},
    )
    assert approved.status_code == 303

    issued = citizen.post(location + "/tokens", data={"csrf_token": token, "name": "脚本"})
    assert issued.status_code == 200
    secret = re.search(r"(qc_[A-Za-z0-9_\-]{20,})", issued.text)
    assert secret, issued.text[:2000]
    reads = client.get(
        f"/api/v1/datasets/{ex.entry_id}/rows",
        headers={"Authorization": f"Bearer {secret.group(1)}"},
    )
    assert reads.status_code == 200
    assert len(reads.json()["rows"]) == 12
    # The secret is not on the page afterwards.
    assert secret.group(1) not in citizen.get(location).text


def test_the_agreement_must_be_accepted_and_a_reject_needs_a_reason(
    client: TestClient, exchange: Exchange
) -> None:
    ex = exchange
    citizen = browser(client)
    login(citizen, "citizen")
    refused = send_application(citizen, ex, accept=False)
    assert "研究各区人口结构" in refused  # what was typed is kept
    location = send_application(citizen, ex)
    police = browser(client)
    police_token = login(police, "gaj_steward")
    no_reason = police.post(
        location + "/decide", data={"csrf_token": police_token, "decision": "reject"}
    )
    assert no_reason.status_code == 422
    assert "等待部门答复" in police.get(location).text


def test_departments_are_sent_to_the_exchange_and_visitors_to_log_in(
    client: TestClient, exchange: Exchange
) -> None:
    ex = exchange
    visitor = browser(client)
    response = visitor.get(f"/open/datasets/{ex.entry_id}/apply")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?")
    member = browser(client)
    login(member, "env_steward")
    page = member.get(f"/open/datasets/{ex.entry_id}/apply")
    assert "/sharing/new?dataset=" in page.text
    assert 'name="accept"' not in page.text


def test_a_second_application_is_refused_in_the_pages_language(
    client: TestClient, exchange: Exchange
) -> None:
    # Under the Chinese title the form showed the service's English text: 'you already have an
    # application for this entry waiting for a decision'.
    ex = exchange
    citizen = browser(client)
    login(citizen, "citizen")
    send_application(citizen, ex)
    form_page = citizen.get(f"/open/datasets/{ex.entry_id}/apply")
    digest = re.search(r'name="agreement_sha256" value="([0-9a-f]{64})"', form_page.text)
    assert digest
    again = citizen.post(
        f"/open/datasets/{ex.entry_id}/apply",
        data={
            "csrf_token": csrf_token(form_page.text),
            "agreement_sha256": digest.group(1),
            "purpose": "再次申请",
            "period_days": "30",
            "accept": "yes",
        },
    )
    assert again.status_code == 409
    assert "您已申请过该数据，正在等待部门答复。" in again.text
    assert "waiting for a decision" not in again.text
    assert "再次申请" in again.text  # what was typed is kept


def test_applications_are_listed_with_english_names_in_english(
    client: TestClient, exchange: Exchange
) -> None:
    # Regression: /open/applications showed the entry's and department's Chinese names.
    citizen = browser(client)
    login(citizen, "citizen")
    location = send_application(citizen, exchange)
    citizen.get("/lang/en")

    listed = citizen.get("/open/applications").text
    detail = citizen.get(location).text

    for html in (listed, detail):
        assert "Basic population information" in html and "Jinan Public Security Bureau" in html
        assert "人口基本信息" not in html and "济南市公安局" not in html

"""The ledger explorer as a visitor uses it: checkpoint and signatures, history, one proof."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from quancheng.catalog.service import _ACTIONS as _CATALOG_ACTIONS
from quancheng.chinatime import CHINA_TIME
from quancheng.ledger.canonical import parse_time
from quancheng.ledger.keys import SigningKey
from quancheng.ledger.note import add_signatures
from quancheng.opendata.interaction_model import FEEDBACK_KINDS, REQUEST_OUTCOMES
from quancheng.operations.alarms import EVENT_ACKNOWLEDGED, EVENT_CLEARED, EVENT_RAISED
from quancheng.operations.alarms import SUBJECT_KIND as _ALARM_SUBJECT
from quancheng.sharing.model import Action, GrantState
from quancheng.web.ledger_labels import EVENT_TYPES, SUBJECT_KINDS
from tests.support.city import SmallCity, entry_fields
from tests.web.support import browser


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_explorer_shows_the_checkpoint_its_witnesses_and_recent_events(
    client: TestClient, city: SmallCity
) -> None:
    witness = SigningKey.generate("witness.gaj")
    city.services.ledger.add_witness_key(witness.name, witness.verifier.encode())
    note = client.get("/api/v1/ledger/checkpoint").text
    assert (
        client.post(
            "/api/v1/ledger/cosignatures", content=add_signatures(note, [witness]).encode()
        ).status_code
        == 201
    )
    web = browser(client)
    page = web.get("/ledger")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "目录链" in text and "最新检查点" in text
    assert "witness.gaj (见证方)" in text
    assert f"{city.services.ledger.origin} (日志)" in text
    assert "identity.user.created" in text and "创建用户账号" in text
    web.get("/lang/en")
    english = text_of(web.get("/ledger").text)
    assert "Latest checkpoint" in english and "witness.gaj (witness)" in english


def test_the_history_of_an_entry_and_the_proof_of_one_event(
    client: TestClient, city: SmallCity
) -> None:
    steward = city.principals["env_steward"]
    entry = city.services.catalog.create(steward, department="sthjj", fields=entry_fields())
    city.services.catalog.submit(steward, entry.id)
    web = browser(client)
    history = text_of(web.get("/ledger", params={"subject": f"catalog_entry:{entry.code}"}).text)
    assert "catalog.entry.created" in history and "catalog.entry.submitted" in history
    assert "创建目录" in history and "目录提交审核" in history
    assert "identity.user.created" not in history
    index = city.services.ledger.size() - 1
    page = web.get(f"/ledger/entries/{index}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "已核验" in text
    record = city.services.ledger.entry(index)
    assert record.leaf_hash.hex() in text
    for h in city.services.ledger.inclusion_proof(index, city.services.ledger.size()):
        assert h.hex() in text
    assert web.get("/ledger/entries/99999").status_code == 404


def test_events_are_labelled_in_china_time_with_people_named_as_the_event_names_them(
    client: TestClient, city: SmallCity
) -> None:
    # Regression: rows showed `identity.user.created`, `user:user:36`, `user:19`, `platform`
    # and UTC times cut from the event; the event page showed raw keys.
    steward = city.principals["env_steward"]
    entry = city.services.catalog.create(steward, department="sthjj", fields=entry_fields())
    ledger = city.services.ledger
    citizen = next(
        r for r in ledger.entries(limit=100) if r.event["subject"]["id"].startswith("user:")
    )
    number = citizen.event["subject"]["id"].removeprefix("user:")
    created = ledger.entries(subject=f"catalog_entry:{entry.code}")[0]
    moment = parse_time(created.event["time"]).astimezone(CHINA_TIME)
    web = browser(client)

    recent = web.get("/ledger").text
    text = text_of(recent)
    history = text_of(web.get("/ledger", params={"subject": f"catalog_entry:{entry.code}"}).text)
    page = text_of(web.get(f"/ledger/entries/{created.index}").text)

    assert f"用户 #{number}" in text and "user:user:" not in text
    assert "系统" in text  # the platform seeding the city
    assert "创建目录" in history and "env_steward · 济南市生态环境局" in history
    assert moment.strftime("%Y-%m-%d %H:%M") in history
    assert created.event["time"][:16].replace("T", " ") not in history
    assert "目录资源 " + entry.code in history
    for label in ("事件类型", "操作者", "对象", "详情", "状态", "部门"):
        assert label in page
    assert "创建目录" in page and moment.strftime("%Y-%m-%d %H:%M") in page
    web.get("/lang/en")
    english = text_of(web.get("/ledger").text)
    assert f"User #{number}" in english and "User account created" in english
    assert "env_steward · Jinan Ecology and Environment Bureau" in english


def test_every_event_type_the_services_record_has_a_label() -> None:
    recorded = {
        *(f"catalog.entry.{a}" for a in ("created", "updated", *_CATALOG_ACTIONS.values())),
        *(f"sharing.request.{a.value}" for a in Action),
        "sharing.request.created",
        "sharing.request.overdue",
        *(f"sharing.grant.{s.value}" for s in GrantState if s is not GrantState.ACTIVE),
        "sharing.grant.created",
        *(f"portal.request.{o}" for o in REQUEST_OUTCOMES),
        *(f"portal.{k}.submitted" for k in FEEDBACK_KINDS),
        *(f"portal.{k}.replied" for k in FEEDBACK_KINDS),
        EVENT_RAISED,
        EVENT_ACKNOWLEDGED,
        EVENT_CLEARED,
    }
    assert recorded - set(EVENT_TYPES) == set()
    assert _ALARM_SUBJECT in SUBJECT_KINDS

"""The ledger explorer as a visitor uses it: checkpoint and signatures, history, one proof."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from quancheng.ledger.keys import SigningKey
from quancheng.ledger.note import add_signatures
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
    assert "identity.user.created" in text
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

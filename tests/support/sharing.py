"""A conditional entry with personal data, owned by the police, to share with other departments."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from quancheng.demo.identities import id_number, mobile
from quancheng.identity.roles import Principal, Role
from tests.support.city import PASSWORD, SmallCity, entry_fields

DISTRICTS = ("历下区", "市中区", "槐荫区", "天桥区", "历城区")
SURNAMES = "王李张刘陈杨赵黄周吴"
POPULATION_ITEMS: list[dict[str, Any]] = [
    {"name": "姓名", "data_type": "C", "length": 50, "sensitivity": "personal"},
    {"name": "公民身份号码", "data_type": "C", "length": 18, "sensitivity": "sensitive_personal"},
    {"name": "手机号码", "data_type": "C", "length": 11, "sensitivity": "personal"},
    {"name": "所属区县", "data_type": "C", "length": 20, "sensitivity": "public"},
    {"name": "登记日期", "data_type": "D", "sensitivity": "public"},
    {"name": "人数", "data_type": "N", "length": 4, "sensitivity": "public"},
]


def population_rows(n: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """Rows with valid ID and mobile numbers (what a leak scan looks for)."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    rows = []
    for i in range(n):
        born = date(1950 + rng.randrange(60), 1 + rng.randrange(12), 1 + rng.randrange(28))
        rows.append(
            {
                "姓名": rng.choice(SURNAMES) + "某" + str(i),
                "公民身份号码": id_number(rng, region="370102", born=born, male=bool(i % 2)),
                "手机号码": mobile(rng),
                "所属区县": DISTRICTS[i % len(DISTRICTS)],
                "登记日期": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "人数": 1 + i % 5,
            }
        )
    return rows


def population_csv(rows: list[dict[str, Any]]) -> bytes:
    """The rows as a UTF-8 CSV."""
    header = [i["name"] for i in POPULATION_ITEMS]
    lines = [",".join(header)] + [",".join(str(r[h]) for h in header) for r in rows]
    return ("\n".join(lines) + "\n").encode()


@dataclass
class Exchange:
    """The small city with a police entry holding data and people on both sides."""

    city: SmallCity
    entry_id: int
    rows: list[dict[str, Any]]
    consumer: Principal  # 生态环境局 department user
    consumer_steward: Principal
    provider: Principal  # 公安局 data steward
    platform: Principal

    def auth(self, username: str) -> dict[str, str]:
        """An API token header."""
        return self.city.auth(username)


def seed_exchange(city: SmallCity, tmp_path: Path, *, rows: int = 60, **overrides: Any) -> Exchange:
    """Publish a conditional police entry, load its data, and add a consumer department user."""
    services = city.services
    with services.db.transaction() as s:
        user = services.identity.add_user(
            s,
            None,
            username="env_user",
            password=PASSWORD,
            role=Role.DEPARTMENT_USER,
            department="sthjj",
        )
        city.tokens["env_user"] = services.identity.add_token(s, user, name="tests").token
        city.principals["env_user"] = services.identity.principal_for(user)
    steward = city.principals["gaj_steward"]
    fields = entry_fields(
        name="人口基本信息",
        name_en="Basic population information",
        abstract="全市实有人口的基本信息。",
        classification_code="101001",
        sharing_type="conditional",
        sharing_conditions="用于政务服务办理",
        open_type="closed",
        security_grade="important",
        legal_basis="《中华人民共和国个人信息保护法》第十三条",
        data_items=POPULATION_ITEMS,
        keywords=["人口"],
    )
    fields.update(overrides)
    entry = services.catalog.create(steward, department="gaj", fields=fields)
    services.catalog.submit(steward, entry.id)
    services.catalog.publish(steward, entry.id)
    data = population_rows(rows)
    path = tmp_path / "population.csv"
    path.write_bytes(population_csv(data))
    job = services.datastore.start_load(steward, entry.id, source_name="population.csv")
    done = services.datastore.run_load(job.id, path)
    assert done.status == "succeeded", done.message
    return Exchange(
        city=city,
        entry_id=entry.id,
        rows=data,
        consumer=city.principals["env_user"],
        consumer_steward=city.principals["env_steward"],
        provider=steward,
        platform=city.principals["admin"],
    )

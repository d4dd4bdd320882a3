"""A small city built through the real services: a few departments, users of every role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stdnum.cn import uscc

from quancheng.app import Services
from quancheng.catalog.service import CatalogService
from quancheng.identity.roles import Principal, Role
from quancheng.identity.service import DepartmentFields

PASSWORD = "correct-horse-battery"


def credit_code(org: str, *, region: str = "370100", kind: str = "11") -> str:
    """A valid 统一社会信用代码 for a 9-character organisation part."""
    body = f"{kind}{region}{org}"
    return body + uscc.calc_check_digit(body)


DEPARTMENTS = (
    ("bigdata", "济南市大数据局", "市大数据局", "Jinan Big Data Bureau", "00000001X"),
    ("gaj", "济南市公安局", "市公安局", "Jinan Public Security Bureau", "00000002X"),
    (
        "sthjj",
        "济南市生态环境局",
        "市生态环境局",
        "Jinan Ecology and Environment Bureau",
        "00000003X",
    ),
)
CLASSIFICATIONS = (
    ("1", "基础信息资源", "Basic", None),
    ("101", "人口信息", "Population", "1"),
    ("101001", "户籍人口", "Registered population", "101"),
    ("2", "主题信息资源", "Thematic", None),
    ("210", "生态环保", "Ecology", "2"),
    ("210001", "空气质量", "Air quality", "210"),
)
USERS = (
    ("admin", Role.PLATFORM_ADMIN, "bigdata"),
    ("gaj_admin", Role.DEPARTMENT_ADMIN, "gaj"),
    ("gaj_steward", Role.DATA_STEWARD, "gaj"),
    ("gaj_user", Role.DEPARTMENT_USER, "gaj"),
    ("env_steward", Role.DATA_STEWARD, "sthjj"),
    ("citizen", Role.PUBLIC_USER, None),
)


@dataclass
class SmallCity:
    """Handles on the seeded city: principals and API tokens by user name."""

    services: Services
    principals: dict[str, Principal] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)

    def auth(self, username: str) -> dict[str, str]:
        """The Authorization header of a user's token."""
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def entry_fields(**overrides: Any) -> dict[str, Any]:
    """Valid metadata of a catalog entry, with overrides."""
    fields: dict[str, Any] = {
        "name": "空气质量小时监测数据",
        "name_en": "Hourly air quality monitoring data",
        "abstract": "全市国控空气质量监测站点逐小时监测的污染物浓度数据。",
        "classification_code": "210001",
        "format": "database",
        "sharing_type": "unconditional",
        "sharing_method": "api",
        "open_type": "open",
        "update_cycle": "realtime",
        "security_grade": "general",
        "duty": "负责全市生态环境监测工作",
        "source_system": "空气质量监测系统",
        "keywords": ["空气质量", "PM2.5"],
        "data_items": [
            {"name": "监测站点", "data_type": "C", "length": 50, "sensitivity": "public"},
            {"name": "监测时间", "data_type": "T", "sensitivity": "public"},
            {"name": "PM2.5浓度", "name_en": "PM2.5", "data_type": "F", "sensitivity": "public"},
        ],
    }
    fields.update(overrides)
    return fields


def seed_small_city(services: Services) -> SmallCity:
    """Departments, a classification branch and one user of each role, each with a token."""
    city = SmallCity(services=services)
    with services.db.transaction() as s:
        for key, name, short, en, org in DEPARTMENTS:
            dept = services.identity.add_department(
                s,
                DepartmentFields(
                    key=key,
                    name=name,
                    short_name=short,
                    name_en=en,
                    credit_code=credit_code(org),
                    kind="city_department",
                ),
            )
            city.departments[key] = dept.id
        for code, name, en, parent in CLASSIFICATIONS:
            CatalogService.add_classification(
                s, code=code, name=name, name_en=en, parent_code=parent
            )
        for username, role, dept_key in USERS:
            user = services.identity.add_user(
                s, None, username=username, password=PASSWORD, role=role, department=dept_key
            )
            city.tokens[username] = services.identity.add_token(s, user, name="tests").token
            city.principals[username] = services.identity.principal_for(user)
    return city

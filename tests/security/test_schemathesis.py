"""Schemathesis over the OpenAPI of the app: no 5xx, every answer as documented."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from quancheng.settings import Settings
from tests.support.city import SmallCity, entry_fields

# positive_data_acceptance is left out on purpose: domain rules are stricter than JSON Schema
# (credit-code checksums, classification codes that must exist), so a 422 for schema-valid
# input is the documented answer, not a bug.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES_PER_OPERATION = 6
REQUEST = {"purpose": "x", "items": ["a"], "period_days": 1}


@pytest.fixture
def api_schema(client: TestClient) -> Iterator[OpenApiSchema]:
    """The app's OpenAPI, loaded in-process from the fixture's app."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", client.app)
    yield schema
    # Schemathesis keeps a started lifespan per app for the whole process: end ours now.
    asgi.shutdown_lifespans()


def _fuzz(api_schema: OpenApiSchema, headers: dict[str, str]) -> list[str]:
    """Run every operation a few times; the failures, one line each."""
    failures: list[str] = []
    operations = [op.ok() for op in api_schema.get_all_operations()]
    assert len(operations) > 100  # the whole API, not an empty schema
    for operation in operations:

        @hsettings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except BaseException as exc:  # FailureGroup is a BaseExceptionGroup
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {str(exc)[:2000]}")
    return failures


def is_postgres(settings: Settings) -> bool:
    """Whether the test city's database is PostgreSQL."""
    return settings.database_url.startswith("postgresql")


def test_every_operation_as_the_platform_admin(
    api_schema: OpenApiSchema, city: SmallCity, settings: Settings
) -> None:
    failures = _fuzz(api_schema, city.auth("admin"))
    assert not failures, "\n\n".join(failures)


def test_every_operation_anonymously(
    api_schema: OpenApiSchema, city: SmallCity, settings: Settings
) -> None:
    failures = _fuzz(api_schema, {})
    assert not failures, "\n\n".join(failures)


def test_every_route_documents_its_error_statuses(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in item.items()
        if not {"400", "401", "403", "404"} <= set(op["responses"])
    ]
    assert not missing, missing


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", f"/api/v1/datasets/{2**64}", None),
        ("GET", f"/api/v1/sharing/grants/{2**64}", None),
        ("POST", "/api/v1/sharing/requests", {**REQUEST, "dataset_id": 2**64}),
    ],
)
def test_an_id_beyond_the_integer_range_is_a_client_error(
    client: TestClient, city: SmallCity, method: str, url: str, body: Any
) -> None:
    with TestClient(client.app, raise_server_exceptions=False) as raw:
        response = raw.request(method, url, json=body, headers=city.auth("admin"))
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/v1/departments/a%00b", None),
        ("GET", "/dataset/a%00b.ttl", None),
        (
            "POST",
            "/api/v1/harvest/sources",
            {"department": "a\x00b", "url": "http://x", "kind": "ckan"},
        ),
    ],
)
def test_a_nul_character_is_a_client_error(
    client: TestClient,
    city: SmallCity,
    settings: Settings,
    request: pytest.FixtureRequest,
    method: str,
    url: str,
    body: Any,
) -> None:
    with TestClient(client.app, raise_server_exceptions=False) as raw:
        response = raw.request(method, url, json=body, headers=city.auth("admin"))
    assert 400 <= response.status_code < 500, response.text


def test_text_with_a_nul_character_is_refused_on_every_database_and_nothing_is_stored(
    client: TestClient, city: SmallCity
) -> None:
    # Regression: SQLite stored "空气\x00质量" as a catalog entry's name where PostgreSQL
    # refused it, so the same request succeeded or failed depending on the city's database.
    before = client.get("/api/v1/datasets", headers=city.auth("admin")).json()["total"]
    body = {"department": "sthjj", **entry_fields(name="空气\x00质量")}
    made = client.post("/api/v1/datasets", json=body, headers=city.auth("env_steward"))
    assert made.status_code == 400
    assert made.json()["error"]["code"] == "unstorable_value"
    assert client.get("/api/v1/datasets", headers=city.auth("admin")).json()["total"] == before
    renamed = client.patch(
        "/api/v1/users/gaj_user", json={"display_name": "王\x00五"}, headers=city.auth("admin")
    )
    assert renamed.status_code == 422
    assert renamed.json()["error"]["details"][0]["field"] == "display_name"
    users = client.get("/api/v1/users", headers=city.auth("admin")).json()
    assert all("\x00" not in u["display_name"] for u in users)

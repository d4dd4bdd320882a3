"""GET /ngsi-ld/v1/temporal/entities/{id}: history written through the entity store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quancheng.api.ngsi_temporal import parse_instant, parse_query
from quancheng.app import Services
from quancheng.errors import BadRequest
from tests.support.city import SmallCity

STATION = "urn:ngsi-ld:AirQualityObserved:daming-lake"
URL = f"/ngsi-ld/v1/temporal/entities/{STATION}"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
# Whole minutes in the recent past, so observedAt is never in the future.
BASE = (datetime.now(UTC) - timedelta(hours=3)).replace(second=0, microsecond=0)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def measured(pm25: float, at: datetime) -> dict[str, Any]:
    stamp = iso(at)
    return {
        "PM2_5": {"type": "Property", "value": pm25, "unitCode": "GQ", "observedAt": stamp},
        "airQualityLevel": {"type": "Property", "value": "good", "observedAt": stamp},
    }


@pytest.fixture
def station(services: Services, city: SmallCity) -> list[datetime]:
    """An air station of 生态环境局 with six PM2.5 readings ten minutes apart, in the history."""
    if services.telemetry.record not in services.entities.observers:
        services.entities.observers.append(services.telemetry.record)
    steward = city.principals["env_steward"]
    times = [BASE + timedelta(minutes=10 * i) for i in range(6)]
    body = {
        "id": STATION,
        "type": "AirQualityObserved",
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [117.0263, 36.6746]},
        },
        **measured(10.0, times[0]),
    }
    services.entities.create(steward, body)
    for i, at in enumerate(times[1:], start=1):
        services.entities.patch(steward, STATION, measured(10.0 * (i + 1), at))
    services.telemetry.flush()
    return times


def test_history_of_each_attribute_oldest_first(
    client: TestClient, city: SmallCity, station: list[datetime]
) -> None:
    response = client.get(URL, headers=city.auth("gaj_user"))  # any department may read
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == STATION
    assert body["type"] == "AirQualityObserved"
    assert body["PM2_5"] == [
        {"type": "Property", "value": 10.0 * (i + 1), "observedAt": iso(at)}
        for i, at in enumerate(station)
    ]
    assert [i["value"] for i in body["airQualityLevel"]] == ["good"] * 6
    assert "json-ld#context" in response.headers["link"]


def test_filters_last_n_and_attrs(
    client: TestClient, city: SmallCity, station: list[datetime]
) -> None:
    auth = city.auth("env_steward")

    def values(**params: str) -> list[float]:
        response = client.get(URL, params={"attrs": "PM2_5", **params}, headers=auth)
        assert response.status_code == 200, response.text
        assert set(response.json()) <= {"id", "type", "PM2_5"}
        return [i["value"] for i in response.json().get("PM2_5", [])]

    assert values(lastN="2") == [50.0, 60.0]
    assert values(timerel="before", timeAt=iso(station[2])) == [10.0, 20.0]
    assert values(timerel="after", timeAt=iso(station[4])) == [50.0, 60.0]
    between = {"timerel": "between", "timeAt": iso(station[1]), "endTimeAt": iso(station[3])}
    assert values(**between) == [20.0, 30.0]
    assert values(**between, lastN="1") == [30.0]
    future = iso(datetime.now(UTC) + timedelta(days=1))
    assert values(timerel="after", timeAt=future) == []


def test_simplified_and_aggregated_representations(
    client: TestClient, city: SmallCity, station: list[datetime]
) -> None:
    auth = city.auth("admin")
    simple = client.get(URL, params={"options": "temporalValues", "attrs": "PM2_5"}, headers=auth)
    assert simple.json()["PM2_5"] == {
        "type": "Property",
        "values": [[10.0 * (i + 1), iso(at)] for i, at in enumerate(station)],
    }
    params = {
        "options": "aggregatedValues",
        "aggrMethods": "totalCount,avg,max",
        "aggrPeriodDuration": "P1D",
    }
    aggregated = client.get(URL, params=params, headers=auth)
    assert aggregated.status_code == 200, aggregated.text
    pm = aggregated.json()["PM2_5"]
    assert sum(v for v, _, _ in pm["totalCount"]) == 6
    assert max(v for v, _, _ in pm["max"]) == 60.0
    if len(pm["avg"]) == 1:  # the six readings fell on one local day
        assert pm["avg"][0][0] == pytest.approx(35.0)
    assert "airQualityLevel" not in aggregated.json()  # text has no figures


def test_unknown_entity_is_a_resource_not_found(client: TestClient, city: SmallCity) -> None:
    response = client.get(
        "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:AirQualityObserved:nowhere",
        headers=city.auth("gaj_user"),
    )
    assert response.status_code == 404
    body = response.json()
    assert body["type"] == ERRORS + "ResourceNotFound"
    assert body["status"] == 404


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"timerel": "during", "timeAt": "2026-01-01T00:00:00Z"}, "bad_timerel"),
        ({"timerel": "before"}, "bad_time_at"),
        ({"timerel": "before", "timeAt": "yesterday"}, "bad_time"),
        ({"timerel": "before", "timeAt": "2026-01-01"}, "bad_time"),
        # Regression: these overflowed in the conversion to UTC and answered a 400 without
        # the ProblemDetails members (`unstorable_value`).
        ({"timerel": "after", "timeAt": "0001-01-01T00:00:00+01:00"}, "bad_time"),
        ({"timerel": "before", "timeAt": "9999-12-31T23:59:59-01:00"}, "bad_time"),
        ({"timerel": "between", "timeAt": "2026-01-01T00:00:00Z"}, "bad_end_time_at"),
        ({"lastN": "0"}, "bad_last_n"),
        ({"lastN": "many"}, "bad_last_n"),
        ({"lastN": "²"}, "bad_last_n"),
        ({"aggrMethods": "median"}, "bad_aggregate"),
        ({"aggrMethods": "avg", "aggrPeriodDuration": "PT7M"}, "bad_aggregate"),
    ],
)
def test_bad_parameters_are_bad_request_data(
    client: TestClient,
    city: SmallCity,
    station: list[datetime],
    params: dict[str, str],
    code: str,
) -> None:
    response = client.get(URL, params=params, headers=city.auth("gaj_user"))
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == ERRORS + "BadRequestData"
    assert body["error"]["code"] == code
    assert body["detail"]


def test_public_and_anonymous_callers_read_nothing(
    client: TestClient, city: SmallCity, station: list[datetime]
) -> None:
    anonymous = client.get(URL)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    citizen = client.get(URL, headers=city.auth("citizen"))
    assert citizen.status_code == 403
    assert citizen.json()["error"]["code"] == "permission_denied"
    # Nothing is revealed about whether the entity exists.
    unknown = client.get(URL + "-unknown", headers=city.auth("citizen"))
    assert unknown.status_code == 403


def test_parse_query_reads_ngsi_parameters() -> None:
    query = parse_query(
        timerel="between",
        time_at="2026-03-01T08:00:00+08:00",
        end_time_at="2026-03-01T01:00:00Z",
        last_n="3",
        attrs="PM2_5, NO2,",
        options="temporalValues",
        aggr_methods=None,
        aggr_period=None,
    )
    assert query.time_at == datetime(2026, 3, 1, 0, 0)
    assert query.attrs == ("PM2_5", "NO2")
    assert query.last_n == 3
    assert query.simplified
    assert query.period is None
    assert parse_instant("timeAt", "2026-03-01T00:00:00") == datetime(2026, 3, 1)
    with pytest.raises(BadRequest):
        parse_instant("timeAt", "2026-13-01")

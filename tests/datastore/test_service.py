"""Loads, versions, rollback and crash recovery, on DuckDB + SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
import xlsxwriter

from quancheng.app import Services
from quancheng.datastore.schema import ColumnType
from quancheng.datastore.service import JobStatus, file_sha256
from quancheng.errors import Conflict, PermissionDenied
from quancheng.identity.roles import Principal
from tests.support.city import SmallCity, entry_fields

HEADER = "监测站点,监测时间,PM2.5浓度,站点编码\n"


def air_entry(city: SmallCity, **overrides: object) -> int:
    steward = city.principals["env_steward"]
    catalog = city.services.catalog
    entry = catalog.create(steward, department="sthjj", fields=entry_fields(**overrides))
    catalog.submit(steward, entry.id)
    catalog.publish(steward, entry.id)
    return entry.id


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def load(city: SmallCity, entry_id: int, path: Path, user: str = "env_steward") -> JobStatus:
    datastore = city.services.datastore
    job = datastore.start_load(city.principals[user], entry_id, source_name=path.name)
    result = datastore.run_load(job.id, path)
    return result.status


def rows(city: SmallCity, entry_id: int, *query: tuple[str, str]) -> list[tuple[object, ...]]:
    result = city.services.reads.rows(
        city.principals["env_steward"], entry_id, list(query), total=True
    )
    return result.page.rows


def test_a_gb18030_file_becomes_a_typed_version_linked_to_the_data_items(
    city: SmallCity, tmp_path: Path
) -> None:
    entry_id = air_entry(city)
    body = HEADER + "泉城广场,2024-01-05 08:00,35.5,0001\n省种子仓库,2024-01-05 09:00,41,0002\n"
    path = write(tmp_path / "air.csv", body, "gb18030")

    assert load(city, entry_id, path) is JobStatus.SUCCEEDED

    info = city.services.datastore.dataset(city.principals["env_steward"], entry_id)
    assert info.current is not None
    assert info.current.number == 1
    assert info.current.row_count == 2
    assert info.current.source_encoding == "gb18030"
    columns = {c.label: c for c in info.current.schema.columns}
    assert columns["监测站点"].item == "监测站点"
    assert columns["PM2.5浓度"].type is ColumnType.DOUBLE
    assert columns["监测时间"].type is ColumnType.TIMESTAMP
    # A code with leading zeros stays text, zeros and all.
    assert columns["站点编码"].type is ColumnType.TEXT
    found = rows(city, entry_id, ("站点编码__eq", "0002"), ("_fields", "监测站点,站点编码"))
    assert found == [("省种子仓库", "0002")]


def test_an_identical_file_is_detected_and_a_new_one_can_be_rolled_back(
    city: SmallCity, tmp_path: Path
) -> None:
    entry_id = air_entry(city)
    first = write(tmp_path / "v1.csv", HEADER + "泉城广场,2024-01-05 08:00,35.5,0001\n")
    second = write(tmp_path / "v2.csv", HEADER + "泉城广场,2024-01-06 08:00,12,0001\n")
    steward = city.principals["env_steward"]
    datastore = city.services.datastore

    assert load(city, entry_id, first) is JobStatus.SUCCEEDED
    assert load(city, entry_id, first) is JobStatus.UNCHANGED
    assert load(city, entry_id, second) is JobStatus.SUCCEEDED
    assert [v.number for v in datastore.versions(steward, entry_id)] == [2, 1]
    assert rows(city, entry_id)[0][2] == 12.0

    restored = datastore.rollback(steward, entry_id, 1)

    assert restored.number == 1
    assert rows(city, entry_id)[0][2] == 35.5
    with pytest.raises(Conflict) as already:
        datastore.rollback(steward, entry_id, 1)
    assert already.value.code == "already_current"


def test_rows_that_break_the_data_items_reject_the_file_with_a_report(
    city: SmallCity, tmp_path: Path
) -> None:
    entry_id = air_entry(city)
    good = write(tmp_path / "good.csv", HEADER + "泉城广场,2024-01-05 08:00,35.5,0001\n")
    bad = write(
        tmp_path / "bad.csv",
        HEADER + "泉城广场,2024-01-05 08:00,35.5,0001\n奥体中心,昨天,很高,0003\n",
    )
    datastore = city.services.datastore
    steward = city.principals["env_steward"]
    assert load(city, entry_id, good) is JobStatus.SUCCEEDED

    job = datastore.start_load(steward, entry_id, source_name=bad.name)
    result = datastore.run_load(job.id, bad)

    assert result.status is JobStatus.FAILED
    assert result.error_code == "invalid_rows"
    assert result.error_count == 2
    report = datastore.error_report(steward, entry_id, job.id)
    with report.open(encoding="utf-8-sig", newline="") as f:
        errors = list(csv.DictReader(f))
    # 行号 is the row a spreadsheet shows: the header is row 1, the bad row is row 3.
    assert {(e["行号 row"], e["列 column"], e["值 value"], e["原因"]) for e in errors} == {
        ("3", "监测时间", "昨天", "不是日期时间"),
        ("3", "PM2.5浓度", "很高", "不是数字"),
    }
    # The previous version keeps serving.
    current = datastore.dataset(steward, entry_id).current
    assert current is not None and current.number == 1
    assert len(rows(city, entry_id)) == 1


def test_quarantine_keeps_the_valid_rows(
    services: Services, city: SmallCity, tmp_path: Path
) -> None:
    entry_id = air_entry(city)
    services.datastore.invalid_rows = "quarantine"
    path = write(
        tmp_path / "mixed.csv",
        HEADER + "泉城广场,2024-01-05 08:00,35.5,0001\n奥体中心,昨天,12,0003\n",
    )

    assert load(city, entry_id, path) is JobStatus.SUCCEEDED

    current = services.datastore.dataset(city.principals["env_steward"], entry_id).current
    assert current is not None
    assert (current.row_count, current.quarantined_rows) == (1, 1)


def report_rows(city: SmallCity, entry_id: int, path: Path) -> set[tuple[str, str]]:
    """Load a file that has invalid values: the (行号, 列) pairs of its error report."""
    datastore = city.services.datastore
    steward = city.principals["env_steward"]
    job = datastore.start_load(steward, entry_id, source_name=path.name)
    datastore.run_load(job.id, path)
    report = datastore.error_report(steward, entry_id, job.id)
    with report.open(encoding="utf-8-sig", newline="") as f:
        return {(e["行号 row"], e["列 column"]) for e in csv.DictReader(f)}


def test_report_rows_are_the_rows_a_spreadsheet_shows_in_a_csv_file(
    services: Services, city: SmallCity, tmp_path: Path
) -> None:
    # Regression: the report counted data rows, so values on rows 3 and 4 of the file as
    # Excel or WPS shows it were reported on rows 2 and 3.
    entry_id = air_entry(city)
    body = (
        HEADER
        + "泉城广场,2024-01-05 08:00,35.5,0001\n"
        + "奥体中心,昨天,12,0002\n"
        + "省种子仓库,2024-01-05 09:00,很高,0003\n"
    )
    path = write(tmp_path / "bad.csv", body)
    blank_first = write(tmp_path / "blank.csv", "\n\n" + body)

    assert report_rows(city, entry_id, path) == {("3", "监测时间"), ("4", "PM2.5浓度")}
    assert report_rows(city, entry_id, blank_first) == {("5", "监测时间"), ("6", "PM2.5浓度")}
    services.datastore.invalid_rows = "quarantine"
    assert report_rows(city, entry_id, path) == {("3", "监测时间"), ("4", "PM2.5浓度")}


def test_report_rows_and_the_ragged_row_message_count_alike(
    city: SmallCity, tmp_path: Path
) -> None:
    entry_id = air_entry(city)
    datastore = city.services.datastore
    steward = city.principals["env_steward"]
    good = "泉城广场,2024-01-05 08:00,35.5,0001\n"
    bad_value = write(tmp_path / "value.csv", HEADER + good + "奥体中心,昨天,12,0002\n")
    ragged = write(tmp_path / "ragged.csv", HEADER + good + "奥体中心,2024-01-05 09:00\n")

    reported = report_rows(city, entry_id, bad_value)
    job = datastore.start_load(steward, entry_id, source_name=ragged.name)
    failed = datastore.run_load(job.id, ragged)

    assert reported == {("3", "监测时间")}
    assert failed.error_code == "ragged_rows"
    assert failed.message.startswith("Row 3 has 2 cells")


def test_report_rows_are_the_sheets_own_row_numbers_in_a_workbook(
    city: SmallCity, tmp_path: Path
) -> None:
    entry_id = air_entry(city)
    path = tmp_path / "air.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("监测数据")
    # A title on row 2 above a blank row and the header on row 4; data on rows 5 to 7.
    sheet.merge_range(1, 0, 1, 3, "2024年1月空气质量监测数据")
    sheet.write_row(3, 0, HEADER.strip().split(","))
    sheet.write_row(4, 0, ["泉城广场", "2024-01-05 08:00", 35.5, "0001"])
    sheet.write_row(5, 0, ["奥体中心", "昨天", 12, "0002"])
    sheet.write_row(6, 0, ["省种子仓库", "2024-01-05 09:00", "很高", "0003"])
    workbook.close()

    assert report_rows(city, entry_id, path) == {("6", "监测时间"), ("7", "PM2.5浓度")}


def test_report_rows_are_line_numbers_of_ndjson(city: SmallCity, tmp_path: Path) -> None:
    entry_id = air_entry(city)
    lines = [
        {"监测站点": "泉城广场", "监测时间": "2024-01-05 08:00", "PM2.5浓度": 35.5},
        {"监测站点": "奥体中心", "监测时间": "昨天", "PM2.5浓度": 12},
        {"监测站点": "省种子仓库", "监测时间": "2024-01-05 09:00", "PM2.5浓度": "很高"},
    ]
    body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    path = write(tmp_path / "air.ndjson", body)

    assert report_rows(city, entry_id, path) == {("2", "监测时间"), ("3", "PM2.5浓度")}


def test_a_header_only_file_fails_and_leaves_the_previous_version(
    city: SmallCity, tmp_path: Path
) -> None:
    entry_id = air_entry(city)
    datastore = city.services.datastore
    steward = city.principals["env_steward"]
    first = write(tmp_path / "a.csv", HEADER + "广场,,1,0001\n")
    assert load(city, entry_id, first) is JobStatus.SUCCEEDED
    job = datastore.start_load(steward, entry_id, source_name="empty.csv")

    result = datastore.run_load(job.id, write(tmp_path / "empty.csv", HEADER))

    assert result.status is JobStatus.FAILED
    assert result.error_code == "no_rows"
    assert rows(city, entry_id) == [("广场", None, 1.0, "0001")]
    assert datastore.backend.tables("qcs_") == []


def test_only_the_owning_department_loads_its_data(city: SmallCity) -> None:
    entry_id = air_entry(city)

    with pytest.raises(PermissionDenied):
        city.services.datastore.start_load(
            city.principals["gaj_steward"], entry_id, source_name="x.csv"
        )


def test_retention_drops_old_versions_which_then_cannot_be_restored(
    services: Services, city: SmallCity, tmp_path: Path
) -> None:
    entry_id = air_entry(city)
    services.datastore.keep_versions = 2
    for n in range(3):
        path = write(tmp_path / f"v{n}.csv", HEADER + f"广场,2024-01-05 08:00,{n},0001\n")
        assert load(city, entry_id, path) is JobStatus.SUCCEEDED
    steward = city.principals["env_steward"]
    versions = services.datastore.versions(steward, entry_id)

    assert [(v.number, v.purged) for v in versions] == [(3, False), (2, False), (1, True)]
    assert not services.datastore.backend.exists(versions[2].physical_table)
    with pytest.raises(Conflict) as purged:
        services.datastore.rollback(steward, entry_id, 1)
    assert purged.value.code == "version_purged"


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from quancheng.app import Services
    from quancheng.identity.roles import Principal
    from quancheng.settings import Settings

    settings = Settings(
        data_dir=Path(sys.argv[1]), database_url=sys.argv[2],
        datastore_url=sys.argv[3] or None, secret_key="test-secret-key-0123456789abcdef",
    )
    services = Services.from_settings(settings)
    datastore = services.datastore
    job = datastore.start_load(Principal.system("test"), int(sys.argv[4]), source_name="big.csv")
    print(job.id, flush=True)

    def die(done, total):
        os.kill(os.getpid(), signal.SIGKILL)

    datastore.run_load(job.id, Path(sys.argv[5]), progress=die)
    """
)


def test_a_load_killed_half_way_leaves_the_previous_version_and_no_orphan(
    services: Services, city: SmallCity, tmp_path: Path
) -> None:
    entry_id = air_entry(city)
    first = write(tmp_path / "v1.csv", HEADER + "广场,,1,0001\n")
    assert load(city, entry_id, first) is JobStatus.SUCCEEDED
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as f:
        f.write(HEADER)
        for n in range(200_000):
            f.write(f"站点{n},2024-01-05 08:00,{n % 300},{n:06d}\n")
    settings = services.settings
    services.close()  # DuckDB admits one process at a time

    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLER,
            str(settings.data_dir),
            settings.resolved_database_url,
            settings.datastore_url or "",
            str(entry_id),
            str(big),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    job_id = int(killed.stdout.split()[0])

    datastore = services.datastore
    steward = city.principals["env_steward"]
    current = datastore.dataset(steward, entry_id).current
    assert current is not None and current.number == 1
    assert rows(city, entry_id) == [("广场", None, 1.0, "0001")]

    dropped = datastore.recover(stale_after=timedelta(0))

    dataset_id = datastore.dataset(steward, entry_id).id
    assert f"qcs_{dataset_id}_{job_id}" in dropped
    assert datastore.backend.tables("qcs_") == []
    job = datastore.job(steward, entry_id, job_id)
    assert (job.status, job.error_code) == (JobStatus.FAILED, "interrupted")


def test_the_platform_may_load_any_entry(city: SmallCity, tmp_path: Path) -> None:
    entry_id = air_entry(city)
    datastore = city.services.datastore
    job = datastore.start_load(Principal.system("cli"), entry_id, source_name="a.csv")

    result = datastore.run_load(job.id, write(tmp_path / "a.csv", HEADER + "广场,,1,0001\n"))

    assert result.status is JobStatus.SUCCEEDED


def test_every_new_version_and_rollback_is_on_the_ledger(
    services: Services, city: SmallCity, tmp_path: Path
) -> None:
    entry_id = air_entry(city)
    first = write(tmp_path / "v1.csv", HEADER + "泉城广场,2024-01-05 08:00,35.5,0001\n")
    second = write(tmp_path / "v2.csv", HEADER + "泉城广场,2024-01-06 08:00,12,0001\n")
    assert load(city, entry_id, first) is JobStatus.SUCCEEDED
    assert load(city, entry_id, first) is JobStatus.UNCHANGED
    assert load(city, entry_id, second) is JobStatus.SUCCEEDED
    steward = city.principals["env_steward"]
    services.datastore.rollback(steward, entry_id, 1)
    code = services.datastore.dataset(steward, entry_id).entry_code

    history = services.ledger.entries(subject=f"catalog_entry:{code}", limit=100)

    data_events = [r.event for r in history if r.event["type"].startswith("data.version")]
    assert [(e["type"], e["subject"]["data_version"]) for e in data_events] == [
        ("data.version.created", 1),
        ("data.version.created", 2),
        ("data.version.rolled_back", 1),
    ]
    digest = file_sha256(first)
    assert data_events[0]["payload_hash"] == f"sha256:{digest}"
    assert data_events[0]["details"]["rows"] == 1

"""`make bench-quick` runs every benchmark section, so the benchmarks cannot rot unnoticed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.report import Figure, verdict, write
from benchmarks.run import SECTIONS

from tests.support.postgres import postgres_admin_url

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("goal", "value", "ratio", "expected"),
    [
        ("value >= 50000", 52_000.0, None, "met"),
        ("value >= 50000", 37_000.0, None, "missed: 0.74x of the floor"),
        ("ratio >= 0.5", 200_000.0, 0.14, "missed: 0.28x of the floor"),
        ("value < 2", 2.6, None, "missed: 1.30x of the ceiling"),
        ("ratio < 1", 1.0, 0.07, "met"),
        ("value == 0", 3.0, None, "missed: value 3, wanted == 0"),
        ("ratio >= 1", 5.0, None, "missed: not measured"),
        ("", 1.0, None, ""),
    ],
)
def test_a_goal_is_met_or_says_by_how_much_it_is_missed(
    goal: str, value: float, ratio: float | None, expected: str
) -> None:
    assert verdict(goal, value, ratio) == expected


def test_a_malformed_goal_is_refused_not_read_as_met() -> None:
    with pytest.raises(ValueError, match="value\\|ratio OP NUMBER"):
        verdict("rows >= 5", 10.0, None)


def test_the_report_lists_missed_targets_first(tmp_path: Path) -> None:
    sections = {
        "telemetry": [
            Figure("points/s", 37_000.0, "points/s", target=">= 50,000", goal="value >= 50000"),
            Figure("latency p50", 300.0, "ms", target="< 1 s", goal="value < 1000"),
            Figure("board", 117.0, "ms"),
        ]
    }
    markdown = write(sections, quick=True, directory=tmp_path)
    assert "Targets: 1 of 2 met." in markdown
    summary = markdown.split("## telemetry")[0]
    assert "| points/s | telemetry | 37000.0 points/s | >= 50,000 | 0.74x of the floor |" in summary
    assert "latency p50" not in summary
    saved = json.loads((tmp_path / "quick.json").read_text())
    assert [f["verdict"] for f in saved["sections"]["telemetry"]] == [
        "missed: 0.74x of the floor",
        "met",
        "",
    ]


@pytest.mark.postgres
def test_bench_quick_runs_every_section_and_decides_every_target(tmp_path: Path) -> None:
    if postgres_admin_url() is None:
        pytest.skip("no PostgreSQL server: run the suite with `make test`")
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads((out / "quick.json").read_text())
    assert report["quick"] is True
    assert list(report["sections"]) == list(SECTIONS)
    for section, figures in report["sections"].items():
        assert figures, section
        for figure in figures:
            assert figure["value"] == figure["value"], figure  # not NaN
            # A target people read must also be one the report can decide.
            assert bool(figure["target"]) <= bool(figure["verdict"]), (section, figure)
    assert "Targets:" in (out / "quick.md").read_text()

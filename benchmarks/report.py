"""One benchmark report: figures beside their peers, written as JSON and Markdown."""

from __future__ import annotations

import json
import operator
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Say on stderr how long a step of a section took (where a run's minutes go)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


@dataclass
class Figure:
    """One measured figure, and the peer's figure for the same work where there is one."""

    name: str
    value: float
    unit: str
    target: str = ""
    peer: str = ""
    peer_value: float | None = None
    ratio: float | None = None
    note: str = ""
    # The target as a check the report can decide: "value >= 50000", "ratio >= 0.5",
    # "value < 2", "value == 0" (`target` says the same for people).
    goal: str = ""

    def as_json(self) -> dict[str, Any]:
        """Rounded for people to read, with the verdict on the goal."""
        data = asdict(self)
        for key in ("value", "peer_value", "ratio"):
            if isinstance(data[key], float):
                data[key] = round(data[key], 3)
        data["verdict"] = verdict(self.goal, self.value, self.ratio)
        return data


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}


def verdict(goal: str, value: float, ratio: float | None) -> str:
    """ "met", "missed: …" (by how much), or "" without a goal."""
    if not goal:
        return ""
    subject, op, bound_text = goal.split()
    if subject not in ("value", "ratio") or op not in _COMPARE:
        raise ValueError(f"a goal reads 'value|ratio OP NUMBER', not {goal!r}")
    measured = value if subject == "value" else ratio
    bound = float(bound_text)
    if measured is None:
        return "missed: not measured"
    if _COMPARE[op](measured, bound):
        return "met"
    if op == "==" or bound == 0 or measured == 0:
        return f"missed: {subject} {measured:,.3g}, wanted {op} {bound:,.3g}"
    # How far off, as a factor people can read at a glance: 0.74x of a floor, 1.3x a ceiling.
    return f"missed: {measured / bound:.2f}x of the {'floor' if op[0] == '>' else 'ceiling'}"


def quantile_ms(seconds: list[float], q: float) -> float:
    """The q-quantile of durations in seconds, in milliseconds."""
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    memory = 0
    try:
        with open("/proc/meminfo") as f:
            memory = int(f.readline().split()[1]) // 1024
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "memory_mib": memory,
    }


def write(
    sections: dict[str, list[Figure]],
    *,
    quick: bool,
    directory: Path = RESULTS,
    merge: bool = False,
    durations: dict[str, float] | None = None,
) -> str:
    """Write latest.json and latest.md (or quick.*); return the Markdown.

    With `merge` (a run of some sections only), the other sections of the previous report
    on the same machine are kept, each with the time it was measured.
    """
    stem = "quick" if quick else "latest"
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    measured = {k: [f.as_json() for f in v] for k, v in sections.items()}
    times = dict.fromkeys(measured, now)
    took = {k: round(v, 1) for k, v in (durations or {}).items()}
    previous_path = directory / f"{stem}.json"
    if merge and previous_path.exists():
        previous = json.loads(previous_path.read_text())
        if previous.get("machine") == machine():
            old_times = previous.get("section_times") or {}
            old_took = previous.get("section_seconds") or {}
            for name, figures in previous.get("sections", {}).items():
                if name not in measured:
                    measured[name] = figures
                    times[name] = old_times.get(name, previous.get("time", ""))
                    if name in old_took:
                        took[name] = old_took[name]
    report: dict[str, Any] = {
        "machine": machine(),
        "time": now,
        "quick": quick,
        "section_times": times,
        "section_seconds": took,
        "sections": measured,
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stem}.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    m = report["machine"]
    lines = [
        "# Benchmarks" + (" (quick sizes)" if quick else ""),
        "",
        f"Machine: {m['platform']}, Python {m['python']}, {m['cpus']} CPUs, "
        f"{m['memory_mib']} MiB; {report['time']}",
    ]
    goals = [
        (section, f)
        for section, figures in report["sections"].items()
        for f in figures
        if f.get("verdict")
    ]
    missed = [(section, f) for section, f in goals if f["verdict"] != "met"]
    lines += [
        "",
        f"Targets: {len(goals) - len(missed)} of {len(goals)} met.",
    ]
    if missed:
        lines += ["", "| missed | section | value | target | by |", "|---|---|---|---|---|"]
        for section, f in missed:
            lines.append(
                f"| {f['name']} | {section} | {f['value']} {f['unit']} | {f['target']} | "
                f"{f['verdict'].removeprefix('missed: ')} |"
            )
    for section, figures in report["sections"].items():
        lines += [
            "",
            f"## {section}",
            "",
            f"Measured {times[section]}"
            + (f" in {took[section]:.0f} s." if section in took else "."),
            "",
            "| benchmark | value | target | verdict | peer | peer value | ratio | note |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for f in figures:
            peer_value = "" if f["peer_value"] is None else f"{f['peer_value']} {f['unit']}"
            ratio = "" if f["ratio"] is None else f"{f['ratio']}"
            lines.append(
                f"| {f['name']} | {f['value']} {f['unit']} | {f['target']} | "
                f"{f.get('verdict', '')} | {f['peer']} | "
                f"{peer_value} | {ratio} | {f['note']} |"
            )
    text = "\n".join(lines) + "\n"
    (directory / f"{stem}.md").write_text(text)
    return text

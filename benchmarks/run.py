"""`make bench` / `make bench-quick`: every benchmark beside its peers, in one report.

Sections: catalog search, the datastore (ingest and queries), the ledger, the sharing
exchange (enforcement overhead), the open data portal (CKAN actions, DCAT), city operations
(telemetry writes, the big screen) and the operations centre served (HTTP and MQTT telemetry
sustained into `quancheng serve`, end-to-end latency, loss after SIGKILL). Results go to
benchmarks/results/latest.json and latest.md (quick.* for the small sizes), with the machine
they ran on.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.report import RESULTS, Figure, write

SECTIONS = {
    "catalog search": "benchmarks.search",
    "datastore": "benchmarks.datastore",
    "ledger": "benchmarks.ledger",
    "sharing": "benchmarks.sharing",
    "open data": "benchmarks.opendata",
    "operations": "benchmarks.operations",
    "operations, served": "benchmarks.telemetry_live",
    "load": "benchmarks.load",
}


def _figures(raw: Any) -> list[Figure]:
    """Accept a section's figures as Figure objects or plain dictionaries."""
    items = raw.get("figures", []) if isinstance(raw, dict) else raw
    figures = []
    for item in items:
        if isinstance(item, Figure):
            figures.append(item)
        else:
            known = {k: item[k] for k in Figure.__dataclass_fields__ if k in item}
            figures.append(Figure(**known))
    return figures


def main(argv: list[str] | None = None) -> int:
    """Run the sections and write the report; a failing section fails the run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (under 3 minutes)")
    parser.add_argument("--only", action="append", choices=sorted(SECTIONS), help="one section")
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help="where the report goes (benchmarks/results)"
    )
    args = parser.parse_args(argv)
    sections: dict[str, list[Figure]] = {}
    durations: dict[str, float] = {}
    failed = []
    # Every section imported before the first runs: a run of an hour fails at once on an
    # import error, and sources edited meanwhile cannot mix into the sections still to come.
    modules = {
        title: importlib.import_module(module_name)
        for title, module_name in SECTIONS.items()
        if not args.only or title in args.only
    }
    for title, module in modules.items():
        run: Callable[..., Any] = module.run
        started = time.perf_counter()
        try:
            sections[title] = _figures(run(quick=args.quick))
        except Exception:
            traceback.print_exc()
            failed.append(title)
        durations[title] = time.perf_counter() - started
        print(f"{title}: {durations[title]:.0f} s", file=sys.stderr)
    report = write(
        sections, quick=args.quick, merge=bool(args.only), durations=durations, directory=args.out
    )
    print(report)
    if failed:
        print(f"failed sections: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

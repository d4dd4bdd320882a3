"""The demo city's catalog (no data), built once per benchmark run and copied per section.

Building it (3,000 entries, their ledger events and search index) is the slowest part of the
search and open data sections; a copy of the closed city's files takes a second.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from tests.support.server import FAST_PASSWORDS

from benchmarks.report import phase
from quancheng.app import Services
from quancheng.demo.build import build_demo
from quancheng.settings import Settings

SECRET = "bench-secret-key-0123456789abcdef"  # noqa: S105 (a throwaway benchmark city)
_template: Path | None = None


def demo_settings(data_dir: Path) -> Settings:
    """Settings of a benchmark city in `data_dir` (embedded engines, demo mode)."""
    return Settings(data_dir=data_dir, demo_mode=True, secret_key=SECRET)


def demo_city(data_dir: Path) -> Services:
    """Migrated services over a fresh copy of the demo catalog in the empty `data_dir`."""
    global _template
    if _template is None:
        built = Path(tempfile.mkdtemp(prefix="qc-bench-demo-"))
        atexit.register(shutil.rmtree, built, ignore_errors=True)
        # Accounts hashed cheaply: no section logs in with a password.
        services = Services.from_settings(demo_settings(built), passwords=FAST_PASSWORDS)
        try:
            services.db.migrate()
            with phase("the demo catalog built (once per run)"):
                build_demo(services, data_dir=built, with_data=False)
        finally:
            services.close()
        _template = built
    shutil.copytree(_template, data_dir, dirs_exist_ok=True)
    services = Services.from_settings(demo_settings(data_dir))
    services.db.migrate()
    return services

"""The app `quancheng serve` builds in each worker (uvicorn's factory)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BUILD = (
    "from quancheng.app import app_from_env\n"
    "from quancheng.catalog import textindex\n"
    "assert textindex._engines is None\n"
    "app_from_env()\n"
    "print('loaded' if textindex._engines is not None else 'not loaded')\n"
)


def test_a_worker_loads_the_search_dictionaries_before_its_first_request(tmp_path: Path) -> None:
    """Otherwise every worker's first catalog search waits seconds for jieba and pinyin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
    env |= {"QC_DATA_DIR": str(tmp_path), "QC_SECRET_KEY": "factory-test-secret-0123456789abcdef"}
    done = subprocess.run(
        [sys.executable, "-c", BUILD], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "loaded"

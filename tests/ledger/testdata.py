"""The shared RFC 6962/9162 and C2SP vectors, read from ../shared/testdata/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SHARED_TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata"
VECTORS_FILE = SHARED_TESTDATA / "rfc6962_vectors.json"


def load_vectors() -> dict[str, Any]:
    """The vectors file; a missing file fails the test (it must not silently skip)."""
    if not VECTORS_FILE.is_file():
        raise AssertionError(
            f"golden vectors missing: expected {VECTORS_FILE} (shared/ beside the checkout)"
        )
    data: dict[str, Any] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
    return data

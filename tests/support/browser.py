"""The system's Chromium, for Playwright (never `playwright install`: no download here)."""

from __future__ import annotations

import os
import shutil

DEBIAN_CHROMIUM = "/usr/bin/chromium"

# Flags for a closed network and a container: no sandbox (root in CI), no GPU, no calls home.
# Playwright adds the headless flags itself.
CHROMIUM_ARGS: list[str] = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """Path of the Chromium executable from Debian's `chromium` package."""
    if os.access(DEBIAN_CHROMIUM, os.X_OK):
        return DEBIAN_CHROMIUM
    found = shutil.which("chromium")
    if found is None:
        raise RuntimeError(
            "Chromium not found: install it with `scripts/ensure-system-deps chromium` "
            "(Debian packages chromium and chromium-driver), or run the suite with `make test`"
        )
    return found

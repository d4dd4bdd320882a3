"""`python -m quancheng …`: the `quancheng` command, for a virtual environment without its script.

(`python -m quancheng.cli` cannot work: run as a script, cli.py would be a second module beside
the `quancheng.cli` the command modules import.)
"""

from __future__ import annotations

import sys

from quancheng.cli import main

sys.exit(main())

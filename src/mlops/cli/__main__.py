"""`python -m mlops.cli` (how a champion rebuild runs that commit's own CLI)."""

import sys

from mlops.cli import console

sys.exit(console())

"""`python -m mlops.cli` (how a champion rebuild runs that commit's own CLI)."""

import sys

from mlops.cli import main

sys.exit(main())

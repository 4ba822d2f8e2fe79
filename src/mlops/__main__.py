"""`python -m mlops` runs the `mlops` command."""

import sys

from mlops.cli import console

sys.exit(console())

"""`python -m mlops` runs the `mlops` command."""

import sys

from mlops.cli import main

sys.exit(main())

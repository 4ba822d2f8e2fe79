"""Errors a user can fix, and the exit codes every `mlops` command uses.

The CLI prints an MlopsError as one line naming what is wrong and where, and exits
EXIT_ERROR. Never a traceback for a user's mistake.
"""

EXIT_OK = 0  # success; for the gate: the challenger may replace the champion
EXIT_FAIL = 1  # a gate (or verdict) that refuses the challenger
EXIT_ERROR = 2  # a user-fixable error: bad input, missing file, unknown revision


class MlopsError(Exception):
    """Base class: the message names what is wrong and where."""


class ConfigError(MlopsError):
    """params.yaml is malformed, has an unknown key, or a value out of range."""


class DataError(MlopsError):
    """An input file is missing, unreadable, or breaks a schema or quality rule."""

"""Errors a user can fix. The CLI prints them as one line and exits non-zero."""


class MlopsError(Exception):
    """Base class: the message names what is wrong and where."""


class ConfigError(MlopsError):
    """params.yaml is malformed, has an unknown key, or a value out of range."""


class DataError(MlopsError):
    """An input file is missing, unreadable, or breaks a schema or quality rule."""

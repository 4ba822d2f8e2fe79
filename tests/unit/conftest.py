"""Fixtures the unit tests of several packages share."""

from support.recording import recording  # noqa: F401  (a fixture: GitHub's recorded stand-ins)

"""Workflow inputs from the environment, validated before anything uses them."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from mlops.core.errors import MlopsError

SHA = re.compile(r"^[0-9a-f]{40}$")


class WorkflowError(MlopsError):
    """A workflow input, artifact or external tool is not what it must be."""


def environ(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def need(env: Mapping[str, str], name: str) -> str:
    """A required variable's value, stripped; one-line error when unset."""
    value = env.get(name, "").strip()
    if not value:
        raise WorkflowError(f"environment variable {name} is not set (the workflow passes it)")
    return value


def pr_number(value: object) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"[1-9][0-9]{0,9}", text):
        raise WorkflowError(f"PR number {value!r} is not a positive integer")
    return int(text)


def commit_sha(name: str, value: str) -> str:
    """A full 40-hex commit sha, lowercased."""
    sha = value.strip().lower()
    if not SHA.match(sha):
        raise WorkflowError(f"{name} {value!r} is not a 40-hex commit sha")
    return sha

"""Workflow inputs from the environment: validated before anything uses them."""

from __future__ import annotations

import os

import pytest

from mlops.ci.inputs import WorkflowError, commit_sha, environ, need, pr_number
from mlops.core.errors import MlopsError


def test_environ_is_the_process_environment_unless_given():
    assert environ(None) is os.environ
    given = {"A": "1"}
    assert environ(given) is given


def test_need_strips_and_names_a_missing_variable():
    assert need({"PR_NUMBER": " 12\n"}, "PR_NUMBER") == "12"
    for env in ({}, {"PR_NUMBER": ""}, {"PR_NUMBER": "  "}):
        with pytest.raises(WorkflowError, match=r"^environment variable PR_NUMBER is not set"):
            need(env, "PR_NUMBER")


@pytest.mark.parametrize(("value", "number"), [("7", 7), (" 42 ", 42), (1234567890, 1234567890)])
def test_pr_number_accepts_positive_integers(value, number):
    assert pr_number(value) == number


@pytest.mark.parametrize("value", ["0", "-1", "07", "7; rm -rf /", "7.0", "", "1e3", "12345678901"])
def test_pr_number_refuses_anything_else(value):
    with pytest.raises(WorkflowError, match="is not a positive integer"):
        pr_number(value)


def test_commit_sha_is_40_hex_lowercased():
    assert commit_sha("HEAD_SHA", " " + "AB" * 20 + "\n") == "ab" * 20
    for bad in ("main", "ab" * 19, "ab" * 20 + "a", "g" * 40, "HEAD~1"):
        with pytest.raises(WorkflowError, match=f"^HEAD_SHA '{bad}' is not a 40-hex commit sha"):
            commit_sha("HEAD_SHA", bad)


def test_a_workflow_error_is_a_one_line_cli_error():
    assert issubclass(WorkflowError, MlopsError)

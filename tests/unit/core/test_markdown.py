"""Markdown helpers, and the one truncator: a cut text never leaves a code block or a
fold open, stays under the limit, and says what was cut and where the rest is."""

from __future__ import annotations

import pytest

from mlops.core.markdown import GITHUB_COMMENT_LIMIT, details, fit_to_limit, fmt, signed, table


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "-"), (True, "true"), (False, "false"), (0.5, "0.5000"), (1234567, "1,234,567"),
     ("x", "x")],
)  # fmt: skip
def test_fmt(value, text):
    assert fmt(value) == text


def test_fmt_digits_and_signed():
    assert fmt(0.123456, digits=2) == "0.12"
    assert signed(0.01) == "+0.0100"
    assert signed(-0.01, 2) == "-0.01"
    assert signed(None) == "-"


def test_table_escapes_pipes_in_cells():
    text = table(["a", "b"], [["1", "x|y"]])
    assert text.splitlines() == ["| a | b |", "|---|---|", "| 1 | x\\|y |"]


def test_details_is_a_fold_with_blank_lines_around_the_body():
    assert details("more", "| a |") == "<details><summary>more</summary>\n\n| a |\n\n</details>"


def test_a_text_under_the_limit_is_unchanged():
    text = "```\ncode\n" + "x" * 50
    assert fit_to_limit(text, len(text), "hint") == text


def test_a_cut_closes_the_open_code_block_and_folds():
    text = (
        "# report\n"
        + "<details><summary>a</summary>\n\n"
        + "<details><summary>b</summary>\n\n```mermaid\n"
        + "line of chart data\n" * 2_000
        + "```\n</details>\n</details>\n"
    )
    out = fit_to_limit(text, 5_000, "Run `make report` for the full text.")
    assert len(out) <= 5_000
    assert out.count("```") % 2 == 0
    assert out.count("<details>") == out.count("</details>") == 2
    # The closing fence comes before the folds close, and the note comes last.
    assert out.index("\n```\n") < out.rindex("</details>") < out.index("truncated")
    cut = len(text) - len(out[: out.index("\n\n---\n*Report truncated")])
    assert f"{cut:,} of {len(text):,} characters left out" in out
    assert out.rstrip().endswith("Run `make report` for the full text.*")


def test_the_cut_is_at_a_line_end():
    lines = [f"row {i:05d} " + "y" * 40 for i in range(3_000)]
    out = fit_to_limit("\n".join(lines), 10_000, "h")
    kept = out.split("\n\n---\n")[0].splitlines()
    assert len(kept) > 10
    assert all(line in lines for line in kept)  # no line cut in half


@pytest.mark.parametrize("limit", [1_000, 4_096, GITHUB_COMMENT_LIMIT])
def test_the_result_stays_under_the_limit_even_with_many_open_folds(limit):
    # Each cut adds closing tags; the function must shrink until it fits.
    text = "<details><summary>s</summary>\n" * 200 + "z\n" * (limit * 2)
    out = fit_to_limit(text, limit, "h")
    assert len(out) <= limit
    assert out.count("<details>") == out.count("</details>")

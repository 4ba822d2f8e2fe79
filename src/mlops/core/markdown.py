"""Markdown for reports and PR comments: tables, folds, number formats, and the one
function that cuts a text to fit a GitHub comment."""

from __future__ import annotations

from typing import Any

GITHUB_COMMENT_LIMIT = 65_536  # GitHub's maximum comment size, in characters


def fmt(value: Any, digits: int = 4) -> str:
    """A cell: '-' for None, lowercase booleans, fixed decimals, thousands separators."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def signed(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:+.{digits}f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table; pipes inside cells are escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def details(summary: str, body: str) -> str:
    """A folded section (GitHub renders <details> as a disclosure triangle)."""
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def fit_to_limit(text: str, limit: int, hint: str) -> str:
    """Cut at a line end under the limit, close an open code block and open folds, and
    say what was cut and where the whole text is (`hint`)."""
    if len(text) <= limit:
        return text
    note = (
        f"\n\n---\n*Report truncated to fit a GitHub comment: {{cut:,}} of {len(text):,} "
        f"characters left out. {hint}*\n"
    )
    room = limit - len(note) - 20
    while True:
        head = text[:room]
        head = head[: head.rfind("\n")] if "\n" in head else head
        if head.count("```") % 2:  # never leave a code or Mermaid block open
            head += "\n```"
        head += "\n\n</details>" * max(0, head.count("<details>") - head.count("</details>"))
        out = head + note.format(cut=len(text) - len(head))
        if len(out) <= limit or room <= 0:
            return out
        room -= max(200, len(out) - limit)

"""Prototype: the PR's review computed ONCE, both outputs written (gate.json and report.md).

Today a PR runs `mlops gate` and `mlops report`: two processes, each importing the
stack, resolving the champion, obtaining its model, loading both models, scoring both on
the test split, bootstrapping and computing slices. Both go through
`review.compare.compare`, so one call gives everything both need. This script calls the
review code as it is (no edit under src/mlops/review/) and writes both files from one
comparison; `make bench` times it against the two commands. The change it argues for is
a `mlops review` command (or `mlops gate --report FILE`) doing exactly this.

    python bench/review_once.py BASE      # in a repository whose pipeline ran
"""

from __future__ import annotations

import sys
from pathlib import Path

from mlops.core.config import load_params
from mlops.core.files import write_json, write_text
from mlops.registry.versions import resolve_champion
from mlops.review.compare import compare
from mlops.review.gate import gate_document, summary_line
from mlops.review.report import render


def main(base: str) -> int:
    params = load_params()
    champion = resolve_champion(None, base, Path("."))
    with compare(params, champion, Path("."), need_data=True) as result:
        document = gate_document(result, champion, params.gate.primary_metric)
        text = render(result, params, f"mlops report --base {base}")
    write_json(params.paths.gate, document)
    write_text(params.paths.report, text)
    print(summary_line(document))
    return 0 if document["decision"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "main"))

"""A release of a registered model version: its assets and its model card.

Assets: the model file, the metrics the pipeline wrote, and a model card (Mitchell et
al. 2019: intended use, data, metrics, per-group metrics, limitations) generated from
those same files and params.yaml, so the card cannot drift from the model.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from mlops.config import Params
from mlops.errors import MlopsError
from mlops.files import read_json
from mlops.registry import ARTIFACT, SEMVER

RELEASE_DIR = Path("build/release")
CARD = "model-card.md"


class ReleaseError(MlopsError):
    """The release cannot be built or published."""


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def model_card(params: Params, version: str, commit: str) -> str:
    """The model card as Markdown, from the pipeline's reports and params."""
    p = params.paths
    metrics, slices = read_json(p.metrics), read_json(p.slices)
    runtime, features, training = read_json(p.runtime), read_json(p.features), read_json(p.training)
    used = list(features.get("numeric", [])) + list(features.get("categorical", []))
    lines = [
        f"# Model card: {ARTIFACT} {version}",
        "",
        f"- Commit: `{commit}`",
        f"- Estimator: `{training.get('model', params.train.model)}`, "
        f"{training.get('features', '?')} features, trained on {training.get('rows', '?')} rows "
        f"(seed {params.train.seed})",
        f"- Target: `{params.data.target}`, positive class `{params.data.positive_label}`",
        "",
        "## Intended use",
        "",
        "Binary classification of the target from tabular attributes, as a decision aid "
        "with a human in the loop. Not for decisions about individuals without review: "
        "see the per-group metrics and limitations below.",
        "",
        "## Data",
        "",
        f"- Sources: {', '.join(f'`{s}`' for s in params.ingest.sources)}",
        f"- Test split: {params.prepare.test_fraction:.0%} of rows by a salted hash of "
        f"`{params.data.id_column}` (stable as data grows)",
        "- Features used: " + ", ".join(used),
    ]
    dropped = features.get("dropped", {})
    if dropped:
        lines.append("- Columns not used: " + "; ".join(f"`{k}` ({v})" for k, v in dropped.items()))
    if params.ingest.simulated_months is not None:
        lines.append(
            "- The arrival month of each row is SIMULATED (seeded); the data has no time column."
        )
    lines += ["", "## Metrics (held-out test split)", "", "| metric | value |", "|---|---|"]
    lines += [f"| {name} | {_number(value)} |" for name, value in sorted(metrics.items())]
    lines += ["", "## Per-group metrics", ""]
    for column, result in sorted(slices.items()):
        groups = result.get("groups", {}) if isinstance(result, dict) else {}
        if not groups:
            continue
        names = sorted({k for g in groups.values() for k in g if k not in ("n", "small")})
        lines += [f"### {column}", "", "| group | n | " + " | ".join(names) + " |"]
        lines.append("|---" * (len(names) + 2) + "|")
        for group, values in sorted(groups.items()):
            flag = " (small group)" if values.get("small") else ""
            cells = " | ".join(_number(values.get(n, "")) for n in names)
            lines.append(f"| {group}{flag} | {values.get('n', '?')} | {cells} |")
        gaps = result.get("gaps", {})
        if gaps:
            shown = ", ".join(f"{k} {_number(v)}" for k, v in sorted(gaps.items()))
            lines += ["", f"Largest gap between groups: {shown}"]
        lines.append("")
    lines += ["## Runtime", "", "| measure | value |", "|---|---|"]
    lines += [f"| {name} | {_number(value)} |" for name, value in sorted(runtime.items())]
    lines += [
        "",
        "## Limitations",
        "",
        "- Metrics are measured on one test split of the training distribution; they do not "
        "hold under drift. Groups flagged small have wide uncertainty.",
        "- The model reproduces patterns of the data it was trained on, including historical "
        "biases between groups.",
        "",
    ]
    return "\n".join(lines)


def build(params: Params, version: str, commit: str, out: Path | str = RELEASE_DIR) -> list[Path]:
    """Write the release assets into `out` and return them: model, metrics, card."""
    if not re.fullmatch(SEMVER, version):
        raise ReleaseError(f"version {version!r} is not of the form v1.2.3")
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    model = Path(params.paths.model)
    if not model.is_file():
        raise ReleaseError(f"{model}: not found; the promotion run uploads it as `model`")
    assets = [out / f"{ARTIFACT}-{version}{model.suffix}"]
    shutil.copyfile(model, assets[0])
    for name in ("metrics", "slices", "runtime"):
        source = Path(getattr(params.paths, name))
        read_json(source)  # must exist and parse
        assets.append(out / source.name)
        shutil.copyfile(source, assets[-1])
    card = out / CARD
    card.write_text(model_card(params, version, commit), encoding="utf-8")
    assets.append(card)
    return assets


def publish(version: str, assets: list[Path], card: Path) -> str:
    """`gh release create` for the version's registration tag, with the assets."""
    gh = shutil.which("gh")
    if gh is None:
        raise ReleaseError("`gh` not found on PATH (preinstalled on GitHub-hosted runners)")
    tag = f"{ARTIFACT}@{version}"
    command = [
        gh, "release", "create", tag, "--verify-tag",
        "--title", f"{ARTIFACT} {version}", "--notes-file", str(card),
        *(str(a) for a in assets),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ReleaseError(f"gh release create {tag}: {result.stderr.strip()[-300:]}")
    return f"release: {tag} published with {len(assets)} assets {result.stdout.strip()}".rstrip()

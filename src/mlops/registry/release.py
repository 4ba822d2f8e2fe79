"""A release of a registered model version: its assets and its model card.

Assets: the model file, the metrics the pipeline wrote, and a model card (Mitchell et
al. 2019: intended use, data, metrics, per-group metrics, limitations) generated from
those same files and params.yaml, so the card cannot drift from the model.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from mlops.adapters.github import release_create
from mlops.core.config import Params
from mlops.core.errors import MlopsError
from mlops.core.files import read_json
from mlops.registry.card import model_card
from mlops.registry.versions import ARTIFACT, SEMVER

RELEASE_DIR = Path("build/release")
CARD = "model-card.md"


class ReleaseError(MlopsError):
    """The release cannot be built or published."""


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
    """Create the GitHub release of the version's registration tag, with the assets."""
    tag = f"{ARTIFACT}@{version}"
    out = release_create(tag, f"{ARTIFACT} {version}", card, assets)
    return f"release: {tag} published with {len(assets)} assets {out}".rstrip()

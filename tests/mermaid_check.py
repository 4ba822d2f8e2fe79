"""Check Mermaid blocks with the real Mermaid library (npm `mermaid`) in Debian's Chromium.

The pinned npm packages (tests/mermaid/package.json, package-lock.json) are installed
with `npm ci` into a cache folder keyed by the lock's hash, once; puppeteer-core never
downloads a browser (PUPPETEER_SKIP_DOWNLOAD=1), it drives /usr/bin/chromium (override:
CHROMIUM). .ci/run installs chromium and nodejs with apt.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

HARNESS = Path(__file__).parent / "mermaid"
FILES = ("package.json", "package-lock.json", "check.mjs")
FENCE = re.compile(r"```mermaid\n(.*?)\n```", re.S)


def blocks(markdown: str) -> list[str]:
    return FENCE.findall(markdown)


def chromium() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise AssertionError(f"{path} not found: `apt-get install -y chromium` (see .ci/run)")
    return path


def harness_dir() -> Path:
    """The cache folder holding node_modules for this exact lock; installed if missing."""
    digest = hashlib.sha256(b"".join((HARNESS / f).read_bytes() for f in FILES[:2])).hexdigest()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    folder = cache / "mlops-template" / f"mermaid-{digest[:16]}"
    if not (folder / "node_modules" / "mermaid" / "dist" / "mermaid.min.js").exists():
        folder.mkdir(parents=True, exist_ok=True)
        for name in FILES[:2]:
            shutil.copy2(HARNESS / name, folder / name)
        env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"}
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=folder, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
    shutil.copy2(HARNESS / "check.mjs", folder / "check.mjs")
    return folder


def check(diagrams: list[str]) -> list[dict]:
    """One {ok, error, svgBytes} per diagram, from Mermaid's parse and render."""
    folder = harness_dir()
    result = subprocess.run(
        ["node", "check.mjs"], cwd=folder, input=json.dumps(diagrams), capture_output=True,
        text=True, timeout=300, env={**os.environ, "CHROMIUM": chromium()}, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise AssertionError(f"mermaid harness failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout)

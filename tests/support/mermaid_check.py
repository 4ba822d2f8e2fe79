"""Check Mermaid blocks with the real Mermaid library (npm `mermaid`) in Debian's Chromium.

The pinned npm packages (tests/support/mermaid/package.json, package-lock.json) are
installed with `npm ci` into a cache folder keyed by the lock's hash, once; puppeteer-core
never downloads a browser (PUPPETEER_SKIP_DOWNLOAD=1), it drives a Chromium or Chrome
found on PATH (override: CHROMIUM=/path/to/browser). Without a browser or Node.js the
tests are skipped with a reason saying how to get them; under CI (CI=true, which
.ci/run and GitHub Actions set) they fail instead, never skip. .ci/run installs both.
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


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
HOW = (
    "install Chromium and Node.js (Debian/Ubuntu: `sudo apt-get install chromium nodejs "
    "npm`; macOS: `brew install --cask chromium` and `brew install node`) or set "
    "CHROMIUM=/path/to/chrome"
)


def chromium() -> str | None:
    """A Chromium/Chrome executable: $CHROMIUM, else the first browser on PATH."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def require_browser() -> str:
    """The browser, or skip the test (fail it under CI) with how to get one."""
    import pytest

    browser = chromium()
    needs = {"a Chromium browser": browser, "node": shutil.which("node")}
    needs["npm"] = shutil.which("npm")
    missing = [what for what, found in needs.items() if not found]
    if missing:
        reason = f"needs {' and '.join(missing)} to render Mermaid: {HOW}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    assert browser is not None
    return browser


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
    """One {ok, error, svgBytes, overlaps} per diagram, from Mermaid's parse and render
    (overlaps: axis labels that overlap a neighbour at GitHub's width)."""
    browser = require_browser()
    folder = harness_dir()
    result = subprocess.run(
        ["node", "check.mjs"], cwd=folder, input=json.dumps(diagrams), capture_output=True,
        text=True, timeout=300, env={**os.environ, "CHROMIUM": browser}, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise AssertionError(f"mermaid harness failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout)

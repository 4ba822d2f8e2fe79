"""GitOps: the Kubernetes Deployment in git names the image of the prod version.

`mlops deploy-pin` (promote and rollback, after the prod assignment) rewrites the lines
of `paths.deployment` marked `# mlops:image` and `# mlops:version` to the version's image
(`ghcr.io/<owner>/<repo>:<version>`, with its digest when the image job passes one) and
version label, commits that on the branch `mlops/deploy-prod` and opens (or updates) a
pull request into the default branch. Merging it is the deployment: Argo CD or Flux,
watching the default branch, rolls the cluster to exactly that image. A PR, not a direct
commit, because the default branch is protected and GITHUB_TOKEN cannot bypass the
protection (an App token could; see README "Serving").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml

from mlops.adapters import git, github
from mlops.ci.inputs import WorkflowError, environ, need
from mlops.core.config import load_paths
from mlops.core.files import write_text
from mlops.registry import versions

BRANCH = "mlops/deploy-prod"
IMAGE_MARK = "# mlops:image"
VERSION_MARK = "# mlops:version"
REGISTRY = "ghcr.io"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def image_name(repository: str) -> str:
    """ghcr.io/<owner>/<repo>, lowercased as registries require."""
    if not github.REPOSITORY.match(repository):
        raise WorkflowError(f"GITHUB_REPOSITORY {repository!r} is not owner/name")
    return f"{REGISTRY}/{repository.lower()}"


def _setter(value: str) -> Callable[[re.Match[str]], str]:
    return lambda m: f"{m.group(1)}{value}{m.group(2)}"


def pin(text: str, image: str, version: str) -> str:
    """The manifest with every marked image and version line set; each mark must occur."""
    out, counts = text, {}
    for mark, value in ((IMAGE_MARK, image), (VERSION_MARK, f'"{version}"')):
        pattern = re.compile(
            rf"^(\s*(?:-\s+)?[\w./-]+:\s*)\S+(\s+{re.escape(mark)})\s*$", re.MULTILINE
        )
        out, counts[mark] = pattern.subn(_setter(value), out)
    missing = [mark for mark, n in counts.items() if n == 0]
    if missing:
        raise WorkflowError(f"the deployment has no line marked {missing[0]!r}")
    list(yaml.safe_load_all(out))  # still YAML
    return out


def pinned(text: str) -> tuple[str, str]:
    """(image, version) that a manifest is pinned to."""
    image = re.search(rf"image:\s*(\S+)\s+{re.escape(IMAGE_MARK)}", text)
    version = re.search(rf":\s*\"?([^\"\s]+)\"?\s+{re.escape(VERSION_MARK)}", text)
    if not image or not version:
        raise WorkflowError("the deployment has no marked image or version line")
    return image.group(1), version.group(1)


def deploy_pin(env: Mapping[str, str] | None = None, repo: str = ".") -> str:
    """env VERSION (registered), GITHUB_REPOSITORY, DIGEST (optional), GITHUB_TOKEN,
    BASE_BRANCH (default main): pin, commit on BRANCH, push, open or update the PR."""
    env = environ(env)
    version = need(env, "VERSION")
    if not re.fullmatch(versions.SEMVER, version):
        raise WorkflowError(f"VERSION {version!r} is not of the form v1.2.3")
    token = env.get("GITHUB_TOKEN", "").strip()
    git.fetch_tags(repo, token)  # the prod job of this run has just pushed its tag
    if version not in versions.in_stage(versions.PROD_STAGE, repo):
        raise WorkflowError(f"{versions.ARTIFACT}@{version} is not in prod: nothing to deploy")
    repository = need(env, "GITHUB_REPOSITORY")
    digest = env.get("DIGEST", "").strip()
    if digest and not DIGEST.match(digest):
        raise WorkflowError(f"DIGEST {digest!r} is not sha256:<64 hex>")
    image = f"{image_name(repository)}:{version}" + (f"@{digest}" if digest else "")
    path = Path(repo) / load_paths(Path(repo) / "params.yaml").deployment
    write_text(path, pin(path.read_text(encoding="utf-8"), image, version))
    relative = str(path.relative_to(repo))
    git.checkout_branch(repo, BRANCH)
    message = f"Deploy {versions.ARTIFACT} {version} to prod\n\nImage {image}"
    sha = git.commit_tracked(repo, [relative], message, versions.BOT)
    if sha is None:
        return f"deploy-pin: {relative} already pins {image}"
    git.push_branch(repo, BRANCH, token)
    body = (
        f"Deploys **{versions.ARTIFACT} {version}**, now in prod, by pinning `{relative}` to\n"
        f"`{image}`.\n\nMerging this is the deployment: the GitOps agent (Argo CD, Flux) "
        "applies `deploy/` from the default branch.\n"
    )
    title = f"Deploy {versions.ARTIFACT} {version} to prod"
    base = env.get("BASE_BRANCH", "").strip() or "main"
    what, answer = github.open_or_update_pull(repository, BRANCH, base, title, body, token)
    where = f"#{answer['number']} ({what})"
    return f"deploy-pin: {relative} pins {image}; pushed {BRANCH} ({sha[:7]}); PR {where}"

"""The GTO adapter on a real git repository: versions and stage assignments as tags,
the highest version in a stage first, and the tag author as given."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops.adapters import gto
from support.repos import GIT_IDENTITY, git

AUTHOR = gto.Author("Release Bot", "bot@example.invalid")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "first")
    return tmp_path


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD")


def test_nothing_registered_reads_as_empty(repo: Path):
    assert gto.registered(repo, "model") == []
    assert gto.in_stage(repo, "model", "prod") == []


def test_outside_a_git_repository_is_a_one_line_registry_error(tmp_path_factory):
    outside = tmp_path_factory.mktemp("not-a-repo")
    with pytest.raises(gto.RegistryError, match=r"unreadable: .* is not a git repository$"):
        gto.registered(outside, "model")
    with pytest.raises(gto.RegistryError, match=r"unreadable: .* is not a git repository$"):
        gto.in_stage(outside, "model", "prod")


def test_register_then_bump_the_minor_version(repo: Path):
    first = head(repo)
    assert gto.register(repo, "model", first, "v1.0.0", AUTHOR) == ("v1.0.0", "model@v1.0.0")
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    second = head(repo)
    assert gto.register(repo, "model", second, None, AUTHOR) == ("v1.1.0", "model@v1.1.0")
    assert sorted(gto.registered(repo, "model"), key=lambda v: v.version) == [
        gto.Version("v1.0.0", first), gto.Version("v1.1.0", second),
    ]  # fmt: skip
    assert git(repo, "tag", "--list", "model@*").split() == ["model@v1.0.0", "model@v1.1.0"]


def test_the_tags_carry_the_given_author(repo: Path):
    gto.register(repo, "model", head(repo), "v1.0.0", AUTHOR)
    tagger = git(repo, "for-each-ref", "--format=%(taggername) %(taggeremail)",
                 "refs/tags/model@v1.0.0")  # fmt: skip
    assert tagger == "Release Bot <bot@example.invalid>"


def test_assign_lists_highest_first_and_unassign_takes_a_version_out(repo: Path):
    gto.register(repo, "model", head(repo), "v1.0.0", AUTHOR)
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    second = head(repo)
    gto.register(repo, "model", second, "v1.1.0", AUTHOR)
    assert gto.assign(repo, "model", "prod", "v1.0.0", AUTHOR) == "model#prod#1"
    assert gto.assign(repo, "model", "prod", "v1.1.0", AUTHOR) == "model#prod#2"
    assert [v.version for v in gto.in_stage(repo, "model", "prod")] == ["v1.1.0", "v1.0.0"]
    assert gto.in_stage(repo, "model", "prod")[0].commit == second
    assert gto.in_stage(repo, "model", "staging") == []
    removed = gto.assign(repo, "model", "prod", "v1.1.0", AUTHOR, remove=True)
    assert removed == "model#prod!#3"  # a tag too: the history is kept
    assert [v.version for v in gto.in_stage(repo, "model", "prod")] == ["v1.0.0"]


def test_unreadable_tags_are_a_registry_error(repo: Path, monkeypatch: pytest.MonkeyPatch):
    from gto import api
    from gto.exceptions import GTOException

    def broken(*_args, **_kwargs):
        raise GTOException("tag 'model#prod#x' is malformed")

    monkeypatch.setattr(api, "show", broken)
    monkeypatch.setattr(api, "find_versions_in_stage", broken)
    with pytest.raises(gto.RegistryError, match="GTO tags of 'model' unreadable: tag"):
        gto.registered(repo, "model")
    with pytest.raises(gto.RegistryError, match="GTO tags of 'model' unreadable"):
        gto.in_stage(repo, "model", "prod")

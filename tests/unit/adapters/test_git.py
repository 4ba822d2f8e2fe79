"""The git adapter: the token travels only as a one-command header."""

from __future__ import annotations

from mlops.adapters import git


def test_push_sends_the_token_only_as_a_header_for_https_remotes() -> None:
    config = git.auth_config("https://github.com/acme/models", "tok")
    assert config[0] == "-c"
    assert config[1].startswith("http.https://github.com/.extraheader=AUTHORIZATION: basic ")
    assert "tok" not in config[1]  # base64, as actions/checkout sends it
    assert git.auth_config("/srv/origin.git", "tok") == []
    assert git.auth_config("https://github.com/acme/models", "") == []

"""Which policy judges a challenger: the base revision's, never the challenger's own.

The policy is `gate:` in params.yaml plus the two knobs that decide what the slice rules
look at (`evaluate.min_slice_size`: smaller groups are not judged; `data.slices`: which
columns are sliced). A pull request that relaxes any of them would otherwise grade
itself, so the rules are read from the BASE revision (the PR's base commit; main in
promote): a PR that changes them is judged under the base's rules, and its change takes
effect after merge, through code-owner review (.github/CODEOWNERS).

Keys the base does not have: a schema default if there is one (the strictest), else the
challenger's value, listed in `from_challenger` and in gate.json. First adoption (the
base has no `gate:` at all, e.g. a project adopting the template): the challenger's
policy is applied, and the report says that it introduces the policy. A base policy
that this code cannot read is an error, never a silent fallback to the PR's.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, ValidationError

from mlops.adapters import git
from mlops.core.config import Gate, Params
from mlops.core.errors import ConfigError
from mlops.core.files import parsed_or_none
from mlops.core.strict import Strict


class _Rules(Strict):
    """The policy's schema: gate plus the slice knobs (as they appear in params.yaml)."""

    gate: Gate
    min_slice_size: Annotated[int, Field(ge=1)]
    slices: list[str]


_ABSENT = object()


def rules_of(raw: object) -> dict[str, Any] | None:
    """The policy as written in a params mapping, or None when it has no `gate:`."""
    if not isinstance(raw, dict) or not isinstance(raw.get("gate"), dict):
        return None
    out: dict[str, Any] = {"gate": raw["gate"]}
    evaluate, data = raw.get("evaluate"), raw.get("data")
    if isinstance(evaluate, dict) and "min_slice_size" in evaluate:
        out["evaluate"] = {"min_slice_size": evaluate["min_slice_size"]}
    if isinstance(data, dict) and "slices" in data:
        out["data"] = {"slices": data["slices"]}
    return out


def _flat(rules: dict[str, Any]) -> dict[str, Any]:
    """{"gate": ..., "min_slice_size": ..., "slices": ...} from the params layout."""
    out: dict[str, Any] = {"gate": rules.get("gate")}
    for section, key in (("evaluate", "min_slice_size"), ("data", "slices")):
        value = (rules.get(section) or {}).get(key, _ABSENT)
        if value is not _ABSENT:
            out[key] = value
    return out


def _dotted(loc: tuple[int | str, ...]) -> str:
    names = {"min_slice_size": "evaluate.min_slice_size", "slices": "data.slices"}
    first = names.get(str(loc[0]), str(loc[0]))
    return ".".join([first, *(str(part) for part in loc[1:])])


def _get(mapping: Any, loc: tuple[int | str, ...]) -> Any:
    for part in loc:
        if not isinstance(mapping, dict) or part not in mapping:
            return _ABSENT
        mapping = mapping[part]
    return mapping


def _set(mapping: dict[str, Any], loc: tuple[int | str, ...], value: Any) -> None:
    for part in loc[:-1]:
        mapping = mapping.setdefault(str(part), {})
    mapping[str(loc[-1])] = value


def _canonical(rules: dict[str, Any] | None) -> str:
    return json.dumps(rules, sort_keys=True, default=str)


@dataclass(frozen=True)
class Policy:
    """The rules that judge, where they come from, and how they differ from the PR's."""

    rules: _Rules
    source: str  # "base" or "challenger (first adoption)"
    base_label: str
    base_commit: str | None
    base: dict[str, Any] | None  # the base's policy as written (None: it has none)
    challenger: dict[str, Any] | None  # the challenger's policy as written
    from_challenger: tuple[str, ...] = ()  # dotted keys the base lacks, taken from the PR

    @property
    def gate(self) -> Gate:
        return self.rules.gate

    @property
    def min_slice_size(self) -> int:
        return self.rules.min_slice_size

    @property
    def slices(self) -> list[str]:
        return list(self.rules.slices)

    @property
    def changed(self) -> bool:
        """Whether the challenger's policy differs from the base's (as written)."""
        return _canonical(self.base) != _canonical(self.challenger)

    @property
    def first_adoption(self) -> bool:
        return self.base is None

    def changed_keys(self) -> list[str]:
        """Dotted keys whose value differs between the base's and the challenger's policy."""

        def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
            if isinstance(value, dict) and value:
                out: dict[str, Any] = {}
                for key, inner in value.items():
                    out.update(flatten(inner, f"{prefix}{key}."))
                return out
            return {prefix.rstrip("."): value}

        before, after = flatten(self.base or {}), flatten(self.challenger or {})
        return sorted(
            k for k in set(before) | set(after) if before.get(k, _ABSENT) != after.get(k, _ABSENT)
        )

    def applied(self) -> dict[str, Any]:
        return {
            "gate": self.rules.gate.model_dump(mode="json"),
            "evaluate": {"min_slice_size": self.rules.min_slice_size},
            "data": {"slices": list(self.rules.slices)},
        }

    def as_dict(self) -> dict[str, Any]:
        """What gate.json records: both policies, the one applied, and where it came from."""
        return {
            "source": self.source,
            "base_revision": {"label": self.base_label, "commit": self.base_commit},
            "changed": self.changed,
            "changed_keys": self.changed_keys(),
            "base": self.base,
            "challenger": self.challenger,
            "applied": self.applied(),
            "from_challenger": list(self.from_challenger),
        }

    def notice(self) -> str | None:
        """The report's notice near the top, when the PR touches the policy."""
        if self.first_adoption:
            return (
                f"> **This PR introduces the promotion policy**: the base `{self.base_label}` has "
                "no `gate:` in params.yaml, so this PR's own policy is applied (first "
                "adoption). It needs code-owner review."
            )
        if not self.changed:
            return None
        keys = ", ".join(f"`{k}`" for k in self.changed_keys()[:8])
        more = " and more" if len(self.changed_keys()) > 8 else ""
        return (
            f"> **This PR changes the promotion policy** ({keys}{more}): it takes effect after "
            f"merge, and needs code-owner review. This PR is judged under the base "
            f"`{self.base_label}`'s policy."
        )


def resolve_policy(
    base_raw: object,
    challenger_raw: object,
    base_label: str,
    base_commit: str | None,
) -> Policy:
    """The policy that judges: the base's, completed as the module docstring says."""
    challenger = rules_of(challenger_raw)
    base = rules_of(base_raw)
    if base is None:
        if challenger is None:
            raise ConfigError(
                f"neither the base {base_label} nor the challenger has a gate: policy"
            )
        return Policy(
            _validate(_flat(challenger), "the challenger's"),
            "challenger (first adoption: the base has no gate: policy)",
            base_label, base_commit, None, challenger,
        )  # fmt: skip
    merged = copy.deepcopy(_flat(base))
    source = _flat(challenger) if challenger else {}
    filled: list[str] = []
    for _ in range(100):  # each round fills at least one missing key, or stops
        try:
            rules = _Rules.model_validate(merged)
            break
        except ValidationError as exc:
            missing = [e["loc"] for e in exc.errors() if e["type"] == "missing"]
            if len(missing) != exc.error_count():
                first = next(e for e in exc.errors() if e["type"] != "missing")
                raise ConfigError(
                    f"the promotion policy of the base {base_label} cannot be read by this "
                    f"code: {_dotted(first['loc'])}: {first['msg']}"
                ) from None
            for loc in missing:
                value = _get(source, loc)
                if value is _ABSENT:
                    raise ConfigError(
                        f"the promotion policy of the base {base_label} lacks "
                        f"{_dotted(loc)}, and so does the challenger's"
                    ) from None
                _set(merged, loc, copy.deepcopy(value))
                filled.append(_dotted(loc))
    else:  # pragma: no cover - the schema has far fewer keys than rounds
        raise ConfigError(f"the promotion policy of the base {base_label} cannot be completed")
    return Policy(rules, "base", base_label, base_commit, base, challenger, tuple(filled))


def _validate(flat: dict[str, Any], whose: str) -> _Rules:
    try:
        return _Rules.model_validate(flat)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(
            f"{whose} promotion policy: {_dotted(first['loc'])}: {first['msg']}"
        ) from None


def read_raw_params(text: str | None) -> object:
    """A revision's params.yaml as data (it may be older, or broken): None if unreadable."""
    return parsed_or_none(text, yaml.safe_load, yaml.YAMLError)


def base_policy(params: Params, base_rev: str, root: Path | str = ".") -> Policy:
    """The policy of the base revision `base_rev`, against the workspace's params (the
    challenger). The base's params.yaml is read from git, by the workspace file's name."""
    from mlops.registry.versions import resolve_commit

    commit = resolve_commit(base_rev, root)
    base_raw = read_raw_params(git.show(root, commit, params.source.name))
    workspace = Path(root) / params.source
    challenger_raw = read_raw_params(
        workspace.read_text(encoding="utf-8") if workspace.exists() else None
    )
    return resolve_policy(base_raw, challenger_raw, base_rev, commit)

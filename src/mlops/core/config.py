"""params.yaml -> typed, validated objects.

Every knob of the pipeline lives in params.yaml and nowhere else. Loading is strict:
an unknown key, a wrong type or an out-of-range value is an error naming the key, so
a typo in a PR can never silently fall back to a default (configuration debt). The
section classes are in core/sections.py; here they become `Params`, and the file is read
with one-line errors that name the key.
"""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, get_args

import yaml
from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

from mlops.core.errors import ConfigError
from mlops.core.sections import (  # re-exported: every module imports its sections from here
    Bootstrap,
    Canary,
    DaskEngine,
    Data,
    Decay,
    DriftThresholds,
    Evaluate,
    Featurize,
    Fraction,
    GapMetric,
    Gate,
    Ingest,
    Metric,
    Monitor,
    MonitorReason,
    Online,
    Paths,
    Prepare,
    QualityThresholds,
    Rate,
    Serve,
    Simulate,
    SimulatedMonths,
    SliceMetric,
    Train,
    TrainBase,
    Validate,
    model_sections,
)
from mlops.core.strict import Strict

DEFAULT_PARAMS = Path("params.yaml")

__all__ = [
    "DEFAULT_PARAMS",
    "Bootstrap",
    "Canary",
    "DaskEngine",
    "Data",
    "Decay",
    "DriftThresholds",
    "Evaluate",
    "Featurize",
    "Fraction",
    "GapMetric",
    "Gate",
    "Ingest",
    "Metric",
    "Monitor",
    "MonitorReason",
    "Online",
    "Params",
    "Paths",
    "Prepare",
    "QualityThresholds",
    "Rate",
    "Serve",
    "Simulate",
    "SimulatedMonths",
    "SliceMetric",
    "Train",
    "TrainBase",
    "Validate",
    "load_params",
    "load_paths",
    "model_sections",
    "parse_params",
    "read_params_yaml",
]


class Params(Strict):
    # Threads for numeric libraries (OpenMP). Predictions do not depend on it; speed does:
    # on a shared 2-core runner two OpenMP threads made training 20x slower than one.
    threads: Annotated[int, Field(ge=1, le=512)]
    paths: Paths
    ingest: Ingest
    data: Data
    validate_: Validate = Field(alias="validate")
    prepare: Prepare
    featurize: Featurize
    train: Train
    evaluate: Evaluate
    gate: Gate
    monitor: Monitor
    serve: Serve
    _source: Path = PrivateAttr(default=DEFAULT_PARAMS)

    @property
    def source(self) -> Path:
        """The file these params were loaded from (`mlops --params`)."""
        return self._source

    @field_validator("data")
    @classmethod
    def _distinct_columns(cls, data: Data) -> Data:
        special = [data.id_column, data.time_column, data.target]
        if data.group_column is not None:
            special.append(data.group_column)
        if len(set(special)) != len(special):
            raise ValueError(
                "id_column, time_column, target and group_column must be different columns"
            )
        return data


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _keys_at(loc: tuple[int | str, ...]) -> list[str]:
    """The keys params.yaml accepts in the mapping at loc (for "did you mean")."""
    model: Any = Params
    for part in loc:
        fields = {f.alias or name: f for name, f in model.model_fields.items()}
        if part not in fields:
            return []
        candidates = [fields[part].annotation, *get_args(fields[part].annotation)]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if model is None:
            return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _priority(error: Any) -> int:
    # An unknown key first: a typo also makes the intended key "missing", and the typo is
    # what the user has to fix.
    return {"extra_forbidden": 0, "missing": 2}.get(error["type"], 1)


def parse_params(raw: object, source: str = "params.yaml") -> Params:
    """Validate an already-parsed mapping; errors name the dotted key that is wrong."""
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{source}: expected a mapping at the top level, got {type(raw).__name__}"
        )
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        first = min(exc.errors(), key=_priority)
        key = _location(first["loc"])
        if first["type"] == "extra_forbidden":
            near = get_close_matches(str(first["loc"][-1]), _keys_at(first["loc"][:-1]), n=1)
            message = f"unknown key (did you mean {near[0]!r}?)" if near else "unknown key"
        elif first["type"] == "missing":
            message = "required key is missing"
        else:
            message = f"{first['msg']} (got {first.get('input')!r})"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{source}: {key}: {message}{more}") from None


def read_params_yaml(path: Path | str = DEFAULT_PARAMS) -> object:
    """params.yaml parsed as YAML, not yet validated; one-line errors."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (run from the repository root)") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: byte {exc.start}: not UTF-8 text") from None
    except OSError as exc:  # a folder, no permission
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    # libyaml's safe loader when PyYAML was built with it (~6x faster; every stage and
    # command reads this file). On an error, the pure-Python one again, for its more
    # precise message (it names the tab, the alias).
    fast = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=fast)  # noqa: S506 (a safe loader)
    except yaml.YAMLError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(
            f"{path}:{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None


def load_params(path: Path | str = DEFAULT_PARAMS) -> Params:
    """Read and validate params.yaml."""
    params = parse_params(read_params_yaml(path), str(path))
    params._source = Path(path)
    return params


def load_paths(path: Path | str = DEFAULT_PARAMS) -> Paths:
    """Only the `paths:` block, validated. Workflow steps that report on a run that may
    have failed (verdict, comment) use this, so a PR that breaks another section of
    params.yaml still gets its comment and a failed check."""
    raw = read_params_yaml(path)
    block = raw.get("paths") if isinstance(raw, dict) else None
    try:
        return Paths.model_validate(block)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"{path}: paths.{_location(first['loc'])}: {first['msg']}") from None

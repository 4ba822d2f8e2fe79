"""Saving and loading the model with skops, byte-reproducibly and without pickle.

skops names the arrays in its zip after Python object ids and stamps each member with
the current time, so two identical fits give different bytes. We rewrite the archive
canonically (content-derived names, renumbered ids, fixed timestamps, sorted members),
which makes "same commit + same lock = same model bytes" checkable by hash.
Loading trusts only the declared types (`trusted_types`): a model file from a PR is
untrusted input.
This module is the one place skops is imported (see `_import_skops_io`).
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import sklearn.utils
from sklearn.pipeline import Pipeline

from mlops.core.errors import DataError
from mlops.core.files import write_bytes


def _import_skops_io() -> ModuleType:
    """skops.io, with its blanket trust of every scikit-learn estimator switched off.

    At import, skops lists every scikit-learn estimator in order to trust them all when
    loading, and `sklearn.utils.all_estimators()` imports each of scikit-learn's modules to
    find them. That took 0.2-0.3 s of every process that saves or loads a model (train,
    evaluate, the review, serving; 2-core machine; more with pytest installed, which it
    imported too), and it trusted some 200 classes that no model here holds. Loading
    trusts the classes our model types declare instead (`trusted_types`), so skops is
    imported with that list empty; if something imported skops before us, the list is
    emptied here, so that what loads never depends on the order of imports.
    """
    scan = sklearn.utils.all_estimators
    sklearn.utils.all_estimators = lambda *args, **kwargs: []  # skops calls it at import
    try:
        skops_io = importlib.import_module("skops.io")
    finally:
        sklearn.utils.all_estimators = scan
    importlib.import_module("skops.io._trusted_types").SKLEARN_ESTIMATOR_TYPE_NAMES.clear()
    return skops_io


sio = _import_skops_io()


def trusted_types() -> frozenset[str]:
    """Types beyond skops' defaults (numpy's and Python's own, a few scikit-learn
    internals) that our models hold, and nothing more: what each model type declares
    (train/models/), and the steps every model shares (the engineering step,
    features/engineer.py; the Pipeline, features/encode.py)."""
    from mlops.features.encode import PIPELINE_TYPES
    from mlops.features.engineer import TRUSTED_TYPES as ENGINEERING
    from mlops.train.models import model_types

    declared = (kind.trusted_types for kind in model_types().values())
    return frozenset().union(ENGINEERING, PIPELINE_TYPES, *declared)


_EPOCH = (1980, 1, 1, 0, 0, 0)


def _cached_ids(node: Any, found: set[int]) -> set[int]:
    """Ids that a CachedNode refers back to: those objects must keep a shared id."""
    if isinstance(node, dict):
        if node.get("__loader__") == "CachedNode" and isinstance(node.get("__id__"), int):
            found.add(node["__id__"])
        for value in node.values():
            _cached_ids(value, found)
    elif isinstance(node, list):
        for item in node:
            _cached_ids(item, found)
    return found


def _renumber(node: Any, ids: dict[int, int], files: dict[str, str], shared: set[int]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        # A JSON value (a string, a number) is written in full at every occurrence, so
        # whether two occurrences were one Python object (string interning, how pandas
        # hands out column names) changes nothing when loading: give each its own id, so
        # the bytes do not depend on it either.
        fresh = node.get("__loader__") == "JsonNode" and node.get("__id__") not in shared
        # Sorted traversal: the numbering must not depend on the order skops wrote keys in,
        # so that rewriting an already canonical file is a no-op.
        for key, value in sorted(node.items()):
            if key == "__id__" and isinstance(value, int):
                out[key] = len(ids) + 1 if fresh else ids.setdefault(value, len(ids) + 1)
                if fresh:
                    ids[-len(ids) - 1] = out[key]  # takes the number, keyed by no real id
            elif key == "file" and isinstance(value, str) and value in files:
                out[key] = files[value]
            else:
                out[key] = _renumber(value, ids, files, shared)
        return out
    if isinstance(node, list):
        return [_renumber(item, ids, files, shared) for item in node]
    return node


def canonical_bytes(raw: bytes) -> bytes:
    """Rewrite a skops archive so its bytes depend only on the model's content."""
    with zipfile.ZipFile(io.BytesIO(raw)) as source:
        members = {name: source.read(name) for name in source.namelist()}
    schema = json.loads(members.pop("schema.json"))
    files = {
        name: hashlib.sha256(data).hexdigest()[:24] + Path(name).suffix
        for name, data in members.items()
    }
    schema = _renumber(schema, {}, files, _cached_ids(schema, set()))
    renamed = {files[name]: data for name, data in members.items()}
    renamed["schema.json"] = json.dumps(schema, indent=1, sort_keys=True).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in sorted(renamed):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, renamed[name], compresslevel=6)
    return buffer.getvalue()


def save_model(model: Pipeline, path: Path | str) -> int:
    """Write the model; returns its size in bytes."""
    data = canonical_bytes(sio.dumps(model))
    write_bytes(path, data)
    return len(data)


def load_model(path: Path | str) -> Pipeline:
    """Load a model written by save_model, refusing any type outside the trusted set."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: model file not found (run the train stage first)") from None
    return loads_model(data, str(path))


def loads_model(data: bytes, where: str) -> Pipeline:
    """load_model for bytes already read (`where` names them in errors)."""
    try:
        untrusted = set(sio.get_untrusted_types(data=data))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError):
        raise DataError(f"{where}: not a skops model file") from None
    refused = sorted(untrusted - trusted_types())
    if refused:
        raise DataError(f"{where}: refusing to load untrusted type {refused[0]}")
    model = sio.loads(data, trusted=sorted(untrusted))
    if not isinstance(model, Pipeline):
        raise DataError(f"{where}: holds a {type(model).__name__}, expected a Pipeline")
    return model

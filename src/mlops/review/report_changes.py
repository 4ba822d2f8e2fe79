"""Report sections about what changed between the two sides: params, data (rows by
period, schema, missing rates, drift) and the commits compared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from mlops.core.config import Params
from mlops.core.files import read_table
from mlops.core.markdown import table
from mlops.review import datadiff
from mlops.review.compare import Review
from mlops.review.sides import Side

DRIFT_ROWS = 15
PARAMS_ROWS = 60


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}{key}."))
        return out or {prefix.rstrip("."): {}}
    return {prefix.rstrip("."): value}


def _value(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    return f"`{json.dumps(value, sort_keys=True, default=str)}`"


_ABSENT = object()


def params_section(base: Side, head: Side) -> str:
    before, after = _flatten(base.params), _flatten(head.params)
    keys = sorted(set(before) | set(after))
    changed = [
        [f"`{k}`", _value(before.get(k, _ABSENT)), _value(after.get(k, _ABSENT))]
        for k in keys
        if before.get(k, _ABSENT) != after.get(k, _ABSENT)
    ]
    if not changed:
        return "### Params\n\nNo change in params.yaml."
    shown = changed[:PARAMS_ROWS]
    more = (
        f"\n\n{len(changed) - PARAMS_ROWS} more changed keys not shown."
        if len(changed) > PARAMS_ROWS
        else ""
    )
    return (
        "\n".join(
            [
                "### Params",
                "",
                f"{len(changed)} changed keys in params.yaml:",
                "",
                table(["key", "champion", "challenger"], shown),
            ]
        )
        + more
    )


def _read(path: Path | None) -> pd.DataFrame | None:
    return read_table(path, low_memory=False) if path is not None and path.exists() else None


def _psi_reading(value: float) -> str:
    if value > datadiff.PSI_SHIFT:
        return "shift"
    return "watch" if value > datadiff.PSI_WATCH else "stable"


def data_section(result: Review, params: Params) -> str:
    base, head = result.base, result.head
    title = "### Data"
    hashes = f"data md5 `{(base.data_hash or '?')[:12]}` -> `{(head.data_hash or '?')[:12]}`"
    if base.data_hash and base.data_hash == head.data_hash:
        return f"{title}\n\nSame data on both sides ({hashes})."
    before, after = _read(base.snapshot_path), _read(head.snapshot_path)
    if before is None or after is None:
        return f"{title}\n\nData changed ({hashes}), but a snapshot could not be read to compare."
    d = datadiff.diff(before, after, params.data)
    parts = [
        title,
        "",
        f"{hashes}. Rows {d.base_rows:,} -> {d.head_rows:,}: {d.added:,} added, "
        f"{d.removed:,} removed (matched by `{params.data.id_column}`).",
    ]
    if d.by_period:
        rows = [
            [
                str(r["period"]),
                f"{r['base']:,}",
                f"{r['head']:,}",
                f"{r['added']:,}",
                f"{r['removed']:,}",
            ]
            for r in d.by_period
        ]
        parts += [
            "",
            f"**Rows by `{params.data.time_column}`**",
            "",
            table([params.data.time_column, "champion", "challenger", "added", "removed"], rows),
        ]
    schema = [f"- column added: `{c}`" for c in d.columns_added]
    schema += [f"- column removed: `{c}`" for c in d.columns_removed]
    schema += [f"- `{c}` type {a} -> {b}" for c, a, b in d.dtype_changes]
    parts += [
        "",
        "**Schema**",
        "",
        "\n".join(schema) if schema else "No column added, removed or retyped.",
    ]
    if d.missing:
        rows = [
            [f"`{c}`", f"{a:.2%}", f"{b:.2%}", f"{(b - a) * 100:+.2f} pt"] for c, a, b in d.missing
        ]
        parts += [
            "",
            "**Missing values**",
            "",
            table(["column", "champion", "challenger", "change"], rows),
        ]
    else:
        parts += ["", "**Missing values**: no change in any column's missing rate."]
    if d.drift:
        rows = [
            [f"`{c}`", kind, f"{value:.4f}", _psi_reading(value)]
            for c, kind, value in d.drift[:DRIFT_ROWS]
        ]
        parts += [
            "",
            f"**Drift** (PSI of challenger data vs champion data; > {datadiff.PSI_WATCH} "
            f"watch, > {datadiff.PSI_SHIFT} shift)",
            "",
            table(["feature", "kind", "PSI", "reading"], rows),
        ]
    return "\n".join(parts)


def commits_section(base: Side, head: Side) -> str:
    notes = "".join(f"\n- note: {n}" for n in base.notes)
    return "\n".join(
        [
            "### Commits compared",
            "",
            f'- champion: `{base.label}` at `{base.commit}` "{base.subject}"; model from '
            f"{base.obtained.get('model', '?')}, data from {base.obtained.get('data', '?')}",
            f'- challenger: workspace at `{head.commit or "-"}` "{head.subject}"' + notes,
        ]
    )

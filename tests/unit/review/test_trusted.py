"""The trusted gate's handling of what a PR supplies, as data: its data pointer (only
the validated fields are kept) and its `ingest:` settings (rows may be selected; no new
source, no other read options). The whole judgement runs under act."""

from __future__ import annotations

import pytest

from mlops.review.trusted import TrustError, _pointer, _pr_ingest

POINTER = """outs:
- md5: 557dbea03db08baae4ecee27d4c1481c.dir
  size: 5943748
  nfiles: 1
  hash: md5
  path: data
"""


def test_a_data_pointer_is_rebuilt_from_its_validated_fields_only() -> None:
    tampered = POINTER + "  remote: attacker\n  cache: false\n"
    assert _pointer(tampered, "data.dvc") == {
        "md5": "557dbea03db08baae4ecee27d4c1481c.dir", "size": 5943748, "nfiles": 1,
        "hash": "md5",
    }  # fmt: skip
    for bad in ("", "outs: []", POINTER.replace(".dir", ""), POINTER.replace("557d", "../x")):
        with pytest.raises(TrustError):
            _pointer(bad, "data.dvc")


def test_a_pr_may_select_rows_of_the_base_sources_but_not_add_sources(params) -> None:
    ingest = params.ingest.model_dump()
    narrower = {"ingest": {**ingest, "until_month": "2025-09"}}
    assert _pr_ingest(params, narrower).until_month == "2025-09"
    elsewhere = {"ingest": {**ingest, "sources": ["https://example.invalid/adult.csv"]}}
    with pytest.raises(TrustError, match="push its data to the DVC remote"):
        _pr_ingest(params, elsewhere)
    options = {"ingest": {**ingest, "read_csv": {"engine": "python"}}}
    with pytest.raises(TrustError, match=r"ingest\.read_csv"):
        _pr_ingest(params, options)
    with pytest.raises(TrustError, match="does not validate"):
        _pr_ingest(params, {"ingest": {**ingest, "until_month": "soon"}})

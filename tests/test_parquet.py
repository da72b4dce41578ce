"""Task files in the hub's parquet exports load exactly as the JSONL they were made from (pyarrow installed)."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pytest

from execeval.errors import TaskFormatError, UsageError
from execeval.tasks import load_tasks

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

TESTS = Path(__file__).parent
# real records kept as fixtures (their origins: each folder's README.md), with nested columns (CodeContests' tests
# are structs of lists) and JSON-in-text columns (LiveCodeBench's tests)
FIXTURES = [TESTS / "competitive_fixtures" / "codecontests.jsonl", TESTS / "competitive_fixtures" / "taco.jsonl",
            TESTS / "benchmark_fixtures" / "livecodebench_functional.jsonl"]


def _as_parquet(src: Path, dst: Path) -> Path:
    rows = [json.loads(line) for line in src.read_text().splitlines() if line.strip()]
    pq.write_table(pa.Table.from_pylist(rows), dst)
    return dst


def _load(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_tasks(path)


@pytest.mark.parametrize("src", FIXTURES, ids=lambda p: p.name)
def test_a_parquet_export_loads_as_its_jsonl(tmp_path, src):
    from_jsonl = _load(src)
    from_parquet = _load(_as_parquet(src, tmp_path / (src.stem + ".parquet")))
    assert [t.task_id for t in from_parquet.tasks] == [t.task_id for t in from_jsonl.tasks]
    assert [t.tests for t in from_parquet.tasks] == [t.tests for t in from_jsonl.tasks]
    assert [t.reference for t in from_parquet.tasks] == [t.reference for t in from_jsonl.tasks]


def test_a_bad_row_is_named_by_its_row_number(tmp_path):
    rows = [json.loads(line) for line in FIXTURES[0].read_text().splitlines() if line.strip()]
    rows.append({**rows[0], "name": "broken", "public_tests": {"input": ["1\n"], "output": []}})
    path = tmp_path / "cc.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    with pytest.raises(TaskFormatError, match=rf"cc\.parquet:{len(rows)}: public_tests"):
        _load(path)


def test_a_damaged_parquet_file_says_so(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")
    with pytest.raises(TaskFormatError, match="bad.parquet: not a readable parquet file"):
        _load(path)


def test_without_pyarrow_the_error_names_the_extra(tmp_path, monkeypatch):
    path = _as_parquet(FIXTURES[1], tmp_path / "t.parquet")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(UsageError) as err:
        _load(path)
    assert "needs pyarrow" in str(err.value) and "execeval[parquet]" in err.value.hint

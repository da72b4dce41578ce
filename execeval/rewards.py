"""Execution rewards for trainers that call Python: TRL's `GRPOTrainer(reward_funcs=[...])`, open-r1, any loop
with the same contract (docs/rewards.md).

    from execeval.rewards import CodeReward
    reward = CodeReward()                       # a local sandbox, opened at the first call, kept open
    reward(["```python\\ndef f(x):\\n    return x + 1\\n```"], tests=[["assert f(1) == 2", "assert f(2) == 4"]])
    -> [0.5]                                    # the pass fraction; CodeReward(all_or_nothing=True) gives 0.0
    reward.close()

The call is TRL's: `completions` (strings, or chat message lists whose last assistant message is the reply) and
the dataset's columns as keyword lists, one item per completion; other keywords (`prompts`, `completion_ids`,
`trainer_state`, unused columns) are ignored. The tests of a row come from, in this order:

    tests          Python asserts (a list of strings, or one string), with `setup` (code run before them) and
                   `entry_point` (the function they call: the fenced block defining it is the one taken)
    stdin, stdout  case lists of a stdin/stdout program
    test_cases     [{"input", "output"}] or {"inputs": [...], "outputs": [...]}
    verification_info   open-r1's {"language", "test_cases": [{"input", "output"}]}

A row with none of them scores None (TRL's "this reward does not apply"). The code is taken from the reply by
execeval's extraction (execeval/models/extract.py): for asserts, the block that defines the entry point, with the
model's own demo calls and prints dropped; for stdin/stdout programs the block as written. A reply with no code
scores 0.0 without running. Every completion of a call is judged in one batch; identical programs are judged once
(verdicts are kept in the reward's store for its lifetime).
"""

from __future__ import annotations

import builtins
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Self

import orjson

from execeval.errors import UsageError
from execeval.evaluation.pipeline import EvalConfig, plan_for, sample_run
from execeval.models.extract import extract_code, fenced_blocks, sanitize
from execeval.runs.files import result_row
from execeval.samples import Sample
from execeval.tasks.model import IOTest, Task, TestSuite

if TYPE_CHECKING:
    from execeval.service.client import VerifyClient
    from execeval.service.engine import Verifier

__all__ = ["CodeReward", "code_reward", "reply_text"]

_NOT_JUDGED = frozenset(dir(builtins)) | {"check", "candidate"}  # what tests call that is never the solution
Row = dict[str, Any]  # one judged row: {"kind": "asserts" | "io", "code", ...}


def reply_text(completion: Any) -> str:
    """The reply's text: a string as is; of chat messages, the last assistant message's content (text parts
    joined when the content is a list of parts)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if not isinstance(completion, Sequence):
        raise UsageError(f"a completion must be a string or a list of chat messages, not {type(completion).__name__}")
    messages = [m for m in completion if isinstance(m, dict)]
    mine = [m for m in messages if m.get("role", "assistant") == "assistant"] or messages
    content = mine[-1].get("content", "") if mine else ""
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def _column(kwargs: dict, name: str, i: int) -> Any:
    values = kwargs.get(name)
    if values is None:
        return None
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise UsageError(f"the {name!r} column must be a list with one item per completion")
    return values[i] if i < len(values) else None


def _io_cases(kwargs: dict, i: int) -> tuple[list[IOTest], str | None]:
    """A row's stdin/stdout cases and its language, when it has any."""
    stdin, stdout = _column(kwargs, "stdin", i), _column(kwargs, "stdout", i)
    if stdin is not None and stdout is not None:
        ins, outs = ([stdin], [stdout]) if isinstance(stdin, str) else (stdin, stdout)
        return [IOTest(str(a), str(b)) for a, b in zip(ins, outs)], None
    cases, language = _column(kwargs, "test_cases", i), None
    info = _column(kwargs, "verification_info", i)
    if cases is None and info is not None:
        info = orjson.loads(info) if isinstance(info, (str, bytes)) else info
        cases, language = info.get("test_cases"), info.get("language")
    if isinstance(cases, (str, bytes)):
        cases = orjson.loads(cases)
    if isinstance(cases, dict):
        return [IOTest(str(a), str(b)) for a, b in zip(cases.get("inputs", []), cases.get("outputs", []))], language
    if isinstance(cases, list):
        return [IOTest(str(c["input"]), str(c["output"])) for c in cases], language
    return [], language


def _called(code: str, tests: list[str]) -> str:
    """The function the tests call: the service's choice (`judged_function`), else the first called name that is
    not a builtin (a program without it fails its tests, where the service would refuse the request)."""
    from execeval.service.schema import called_names, judged_function

    if found := judged_function(code, tests):
        return found
    names = [n for t in tests for n in called_names(str(t)) if n not in _NOT_JUDGED]
    return names[0] if names else "solution"


def _has_code(text: str) -> bool:
    return bool(fenced_blocks(text)) or any(w in text for w in ("def ", "class ", "import ", "print(", "input(", "return "))


class CodeReward:
    """A reward function: `reward(completions, **columns) -> [float | None]`, one per completion.

    all_or_nothing: 1.0 when every test passes, else 0.0 (default: the fraction of tests passed)
    url, token:     judge on an `execeval serve` service (asserts) instead of a local sandbox
    workers:        the local sandbox's parallel jobs (None: every core)
    config:         the local run's `EvalConfig` (timeouts, memory); every test is always run
    language:       the language of stdin/stdout programs when the row does not say (default python)
    """

    def __init__(self, *, all_or_nothing: bool = False, url: str | None = None, token: str | None = None,
                 workers: int | None = None, config: EvalConfig | None = None, language: str = "python",
                 sandbox: Any = None) -> None:
        self.__name__ = "execeval_all_or_nothing" if all_or_nothing else "execeval_pass_fraction"  # TRL logs it
        self.all_or_nothing, self.url, self.token, self.language = all_or_nothing, url, token, language
        self.config = replace(config or EvalConfig(), all_tests=True)
        if workers is not None:
            self.config = replace(self.config, workers=workers)
        self._sandbox = sandbox
        self._verifier: Verifier | None = None
        self._client: VerifyClient | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._calibrated: EvalConfig | None = None

    # ------------------------------------------------------------ the call
    def __call__(self, completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        rows: list[Row | None] = [self._row(reply_text(c), kwargs, i) for i, c in enumerate(completions)]
        scores: list[float | None] = [None if r is None else 0.0 for r in rows]
        for kind, judge in (("asserts", self._judge_asserts), ("io", self._judge_io)):
            todo = [(i, r) for i, r in enumerate(rows) if r is not None and r["kind"] == kind and r["code"].strip()]
            if todo:
                for (i, _), verdict in zip(todo, judge([r for _, r in todo])):
                    scores[i] = self._score(verdict)
        return scores

    def _row(self, text: str, kwargs: dict, i: int) -> Row | None:
        tests = _column(kwargs, "tests", i)
        if tests is not None:
            entry = _column(kwargs, "entry_point", i) or None
            code = extract_code(text, entry) if _has_code(text) else ""
            return {"kind": "asserts", "code": sanitize(code, entry) if code.strip() else "",
                    "tests": [tests] if isinstance(tests, str) else list(tests),
                    "setup": _column(kwargs, "setup", i) or "", "entry_point": entry}
        cases, language = _io_cases(kwargs, i)
        if not cases:
            return None
        language = _column(kwargs, "language", i) or language or self.language
        blocks = fenced_blocks(text)
        tagged = [code for tag, code in blocks if tag == language]
        code = tagged[0] if tagged else extract_code(text) if language == "python" and _has_code(text) else (
            blocks[0][1] if blocks else "")
        return {"kind": "io", "code": code, "cases": cases, "language": language}

    def _score(self, verdict: dict) -> float:
        if self.all_or_nothing:
            return 1.0 if verdict.get("passed") else 0.0
        total = verdict.get("tests_total") or 0
        return float(verdict.get("tests_passed") or 0) / total if total else 0.0

    # ------------------------------------------------------------ judging
    def _judge_asserts(self, rows: list[Row]) -> list[dict]:
        jobs = []
        for n, r in enumerate(rows):
            jobs.append({"program": r["code"], "tests": r["tests"], "setup": r["setup"], "task_id": f"reward/{n}",
                         "entry_point": r["entry_point"] or _called(r["code"], r["tests"])})
        if self.url is not None:
            return self._remote().verify(jobs, {"all_tests": True})
        from execeval.service.schema import parse_request

        return self._local().verify(parse_request(orjson.dumps({"jobs": jobs})))

    def _judge_io(self, rows: list[Row]) -> list[dict]:
        if self.url is not None:
            raise UsageError("stdin/stdout tests are judged on a local sandbox only",
                             hint="use CodeReward() without url, or the service's SandboxFusion /submit")
        from execeval.evaluation.executor import Executor
        from execeval.progress import NullReporter

        verifier = self._local()
        config = self._config()
        runs = []
        for n, r in enumerate(rows):
            task = Task(f"reward/{n}", "", "", "", TestSuite(tuple(r["cases"])), completion_mode=False,
                        language=r["language"])
            runs.append(sample_run(plan_for(task, None, config), Sample(task.task_id, 0, r["code"], "solution",
                                                                         "reward")))
        executor = Executor(verifier.sandbox, verifier.store, NullReporter(), rerun_timeouts=config.rerun_timeouts,
                            build_cache=config.build_cache)
        executor.add(runs)
        executor.finish()
        return [result_row(run) for run in runs]

    def _config(self) -> EvalConfig:
        if self._calibrated is None:
            self._calibrated = replace(self.config, policy=self._local().calibration.policy())
        return self._calibrated

    def _local(self) -> Verifier:
        if self._verifier is None:
            from execeval.service.engine import Verifier

            tmp = self._tmp = tempfile.TemporaryDirectory(prefix="execeval-reward-")
            self._verifier = Verifier([], tmp.name, self.config, sandbox=self._sandbox)
        return self._verifier

    def _remote(self) -> VerifyClient:
        if self._client is None:
            from execeval.service.client import VerifyClient

            assert self.url is not None  # only called with a url
            self._client = VerifyClient(self.url, token=self.token)
        return self._client

    # ------------------------------------------------------------ lifetime
    def close(self) -> None:
        """Stop the sandbox this reward opened (one it was given stays open) and drop its store."""
        if self._verifier is not None:
            self._verifier.close()
            self._verifier = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self._calibrated = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_DEFAULT: CodeReward | None = None


def code_reward(completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
    """The pass fraction on a process-wide local sandbox (opened at the first call): `reward_funcs=[code_reward]`."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = CodeReward()
    return _DEFAULT(completions, **kwargs)

"""The fork server's reading of a job's report channel: the token on every line, and lifted asserts judged.

Every line must start with the job's token, or the channel counts as tampered with. For a job whose `Assert`
cases were lifted (`execeval.sandbox.python.lifting.plan`), the job's lines are about the calls it ran; here each returned
value is compared with its literal, and the parts of one original case (a HumanEval `check` of several asserts)
are folded back into that case's one result: passed when every part passed, else its first failing part, with
the parts' CPU time summed (the harness holds the sum to the case's budget). The job never says "passed" for a
lifted case: a line that does is an error, whoever wrote it.
"""

from __future__ import annotations

import json

from execeval.sandbox.python.lifting.plan import Lifted, Plan
from execeval.sandbox.python.lifting.testexpr import Untrusted, plain
from execeval.sandbox.python.tracebacks import short
from execeval.values import Digest, decode


class ResultLines:
    """Parses the job's report channel; any line without the job's token marks the channel tampered with."""

    def __init__(self, token: str, plan: Plan | None = None, stop_on_failure: bool = False) -> None:
        self.prefix = token.encode() + b" "
        self.parts: list[bytes] = []
        self.size = 0
        self.lines = 0  # case lines the job sent (its cases, not the folded ones): what its deadlines follow
        self.done = self.tampered = self.stop = False
        self.program_error: dict | None = None
        self.plan = plan if plan is not None and plan.lifted else None
        if self.plan is not None:
            self.stop_on_failure = stop_on_failure
            self._parts_passed: dict[int, list] = {}  # original case -> [its parts that passed, CPU time so far]
            self._closed: set[int] = set()  # original cases already reported

    def feed(self, chunk: bytes) -> list[dict]:
        self.size += len(chunk)
        if b"\n" not in chunk:  # part of a long line: join once it ends, not at every chunk
            self.parts.append(chunk)
            return []
        data = b"".join(self.parts) + chunk
        self.parts = []
        *lines, rest = data.split(b"\n")
        if rest:
            self.parts.append(rest)
        batch: list[dict] = []
        for line in lines:
            if self.done or not line.startswith(self.prefix):
                self.tampered = True
                return []
            body = line[len(self.prefix):]
            if body == b"done":
                self.done = True
                continue
            try:
                item = json.loads(body)
            except (ValueError, RecursionError):  # not JSON, or nested past what the decoder follows
                self.tampered = True
                return []
            if not isinstance(item, dict):
                self.tampered = True
                return []
            if "program" in item:
                self.program_error = item
                continue
            if "k" in item:  # passing cases in columns (`PythonTests.batch_report`)
                if not self._batch(item, batch):
                    self.tampered = True
                    return []
                continue
            self.lines += 1
            if self.stop:
                continue  # past a failure the job did not see: not run, as when it stops itself
            if self.plan is None:
                batch.append(item)
            else:
                self._fold(item, batch)
        return batch

    def _batch(self, item: dict, batch: list[dict]) -> bool:
        """A batch line, passed on whole (graded by `grading.grade_batch`), or case by case when asserts were
        lifted; False when it is not four columns of one length."""
        columns = item["k"]
        if not (type(columns) is list and len(columns) == 4 and all(type(c) is list for c in columns)
                and len({len(c) for c in columns}) == 1):
            return False
        self.lines += len(columns[0])
        if self.stop:
            return True
        if self.plan is None:
            batch.append({"k": columns})
        else:
            for index, status, cpu, output in zip(*columns):
                self._fold({"i": index, "s": status, "c": cpu, "o": output}, batch)
        return True

    def _fold(self, item: dict, batch: list[dict]) -> None:
        plan, index = self.plan, item.get("i")
        if type(index) is not int or not 0 <= index < len(plan.origin):  # type: ignore[union-attr]
            batch.append(item)  # the harness reports it: "case index out of range"
            return
        original = plan.origin[index]  # type: ignore[union-attr]
        if original in self._closed:
            return
        lifted = plan.lifted.get(index)  # type: ignore[union-attr]
        if lifted is None:  # a Call case passed on: judged by the harness
            self._closed.add(original)
            batch.append({**item, "i": original})
            return
        judged = judge_lifted(item, lifted)
        parts = plan.size[original]  # type: ignore[union-attr]
        if parts > 1:
            done = self._parts_passed.setdefault(original, [set(), 0.0])
            done[1] += judged["c"]
            if judged["s"] == "passed":
                done[0].add(index)  # distinct parts: a part's line sent twice never stands for a missing one
                if len(done[0]) < parts:
                    return
            judged["c"] = round(done[1], 6)
        if judged["s"] != "passed":
            self.stop = self.stop_on_failure
        self._closed.add(original)
        judged["i"] = original
        batch.append(judged)


def judge_lifted(item: dict, lifted: Lifted) -> dict:
    """A lifted assert's result: the job may only have returned a value; `==` with the literal decides.

    Total: this runs in the fork server on what the job sent; a value that can't be decoded or compared fails
    the case (an exception here would end the server, and the sample would be a sandbox error)."""
    cpu = item.get("c", 0)
    if not ((type(cpu) is float or type(cpu) is int) and 0 <= cpu < 1e9):
        return {"s": "failed", "c": cpu}  # grade_case, the one judge of a case line's fields, calls it Tampered
    try:
        return _judge_lifted(item, lifted, cpu)
    except Exception as e:  # noqa: BLE001 - see above
        return {"s": "failed", "t": "AssertionError", "c": cpu,
                "m": f"{lifted.line} (its value could not be compared: {type(e).__name__})"[:500]}


def _judge_lifted(item: dict, lifted: Lifted, cpu: float) -> dict:
    status = item.get("s")
    if status == "returned":
        if lifted.test is not None:
            return _judge_test(str(item.get("o")), lifted, cpu)
        if item.get("o") == lifted.expected_text:  # the same plain data: equal
            return {"s": "passed", "c": cpu}
        got = decode(str(item.get("o")))
        equal = got == lifted.expected  # plain data both sides; what raises here fails the case (above)
        if equal is True:
            return {"s": "passed", "c": cpu}
        return {"s": "failed", "t": "AssertionError", "m": lifted.line, "c": cpu}
    if status == "timeout" and lifted.line.startswith("line "):  # which assert of the check took too long
        return {**item, "m": f"{str(item.get('m', ''))[:200]}, at {lifted.line}"[:500], "c": cpu}
    if status in ("timeout", "error"):
        return {**item, "c": cpu}
    if status == "failed":  # an AssertionError raised in the candidate's own code: the assert fails, as in the job
        return {"s": "failed", "t": "AssertionError", "m": lifted.line, "c": cpu}
    return {"s": "error", "t": "Tampered", "m": f"a lifted assert reported {str(status)[:20]!r}", "c": cpu}


def _judge_test(text: str, lifted: Lifted, cpu: float) -> dict:
    """An assert whose test is not `== expected` (`abs(f(x) - y) < 1e-6`): its `Predicate` over the value. A value
    that is not plain data fails, as it compares unequal under `==`; what the test raises is the case's error."""
    value = decode(text)
    failed = {"s": "failed", "t": "AssertionError", "m": lifted.line, "c": cpu}
    if isinstance(value, Digest) or not plain(value, passable=True):
        return failed
    try:
        return {"s": "passed", "c": cpu} if lifted.test.holds(value) else failed  # type: ignore[union-attr]
    except Untrusted as exc:
        cause = exc.__cause__ or exc
        return {"s": "error", "t": type(cause).__name__, "m": short(cause)[:500], "c": cpu}

"""The sandbox's case value helpers: `Call.with_expected` keeps every field, `not_run` shares one instance per index
and is safe from the pool's threads."""

import dataclasses
import threading

from execeval.sandbox.base import Call, CaseResult, CaseStatus, not_run


def test_with_expected_keeps_every_other_field():
    odd = Call(**{f.name: ("[3]" if f.name == "args_json" else True if f.type in (bool, "bool") else "x")
                  for f in dataclasses.fields(Call)})
    assert odd.with_expected("7") == dataclasses.replace(odd, expected="7")
    assert odd.with_expected(None) == dataclasses.replace(odd, expected=None)


def test_not_run_is_the_case_not_run_and_shared():
    assert not_run(5) == CaseResult(5, CaseStatus.NOT_RUN)
    assert not_run(5) is not_run(5)
    assert not_run(10_000).index == 10_000 and not_run(-1) == CaseResult(-1, CaseStatus.NOT_RUN)


def test_not_run_from_many_threads_gives_each_index_its_own_case():
    seen: list[list[CaseResult]] = []

    def ask() -> None:
        seen.append([not_run(i) for i in range(50_000, 0, -7)])

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for cases in seen:
        assert [c.index for c in cases] == list(range(50_000, 0, -7))

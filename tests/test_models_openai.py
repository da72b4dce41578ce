"""The generation backends: openai against a real local HTTP server with injected faults; fake, replay and hf
(with stub transformers) through the shared conformance suite; the spec parser."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
from collections.abc import Iterator, Sequence

import httpx
import pytest
from openai_test_server import Fault, OpenAITestServer

from execeval.errors import ModelError, SampleFormatError, UsageError
from execeval.models import (Generation, GenerationRequest, SamplingParams, cut_at_stop, generate_all,
                             load_backend, parse_spec)
from execeval.models.conformance import CHECKS, Reply, StubModel, run_check, stub_transformers
from execeval.models.fake import FakeBackend
from execeval.models.openai import OpenAIBackend, _retry_after
from execeval.models.replay import ReplayBackend


@pytest.fixture(autouse=True)
def _no_real_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def server() -> Iterator[OpenAITestServer]:
    with OpenAITestServer() as s:
        yield s


def make(server: OpenAITestServer, model: str = "tiny", **options: object) -> OpenAIBackend:
    opts: dict = {"base_url": server.url, "timeout": 2.0, "max_retries": 3, "backoff": 0.001, "backoff_max": 0.005}
    opts.update(options)
    return OpenAIBackend(model, **opts)


def run(backend: object, *requests: GenerationRequest) -> list[Generation]:
    async def go() -> list[Generation]:
        async with backend:  # type: ignore[attr-defined]
            return [g async for g in generate_all(backend, requests)]  # type: ignore[arg-type]
    return asyncio.run(go())


def req(prompt: str = "def f():\n", n: int = 1, **params: object) -> GenerationRequest:
    return GenerationRequest("T/0", prompt=prompt, n=n, params=SamplingParams(**params))  # type: ignore[arg-type]


def posts(server: OpenAITestServer) -> int:
    return len(server.generation_requests())


# ---------------------------------------------------------------------- conformance, every backend
def _factory(kind: str, server: OpenAITestServer, monkeypatch: pytest.MonkeyPatch):
    def factory(reply: Reply, requests: Sequence[GenerationRequest]):
        if kind.startswith("openai"):
            server.reply, server.honour_n = reply, kind == "openai"
            return make(server)
        if kind == "fake":
            return FakeBackend(reply)
        if kind == "hf-stub":
            from execeval.models.hf import HFBackend
            _install_stub_hf(monkeypatch, reply)
            return HFBackend("stub", batch_size=4)
        store = {r.task_id: [cut_at_stop(reply(r.prompt or r.messages[-1]["content"]), r.params.stop)[0]]
                 * (r.start + r.n) for r in requests}  # type: ignore[index]
        return ReplayBackend(store)
    return factory


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("kind", ["openai", "openai-ignoring-n", "fake", "replay", "hf-stub"])
def test_conformance(kind: str, check, server: OpenAITestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    run_check(check, _factory(kind, server, monkeypatch))


# ---------------------------------------------------------------------- openai: the wire format
def test_completions_request_carries_every_parameter(server: OpenAITestServer) -> None:
    stops = ("\ndef", "\nclass", "\nif", "\nprint", "\n#")
    gens = run(make(server), req(n=3, temperature=0.5, top_p=0.9, max_tokens=32, stop=stops, seed=7))
    [sent] = server.generation_requests()
    assert sent.path == "/v1/completions"
    assert sent.body == {"model": "tiny", "prompt": "def f():\n", "n": 3, "temperature": 0.5, "top_p": 0.9,
                         "max_tokens": 32, "stop": list(stops[:4]), "seed": 7}
    assert sorted(g.index for g in gens) == [0, 1, 2] and len({g.text for g in gens}) == 3
    assert all(g.finish_reason == "stop" for g in gens)


def test_usage_is_split_so_sums_are_exact(server: OpenAITestServer) -> None:
    server.reply = lambda p: "a b c d e"
    gens = run(make(server), req(prompt="one two three", n=3))
    assert sum(g.usage["completion_tokens"] for g in gens) == server.completion_tokens == 15
    assert sum(g.usage["prompt_tokens"] for g in gens) == 3  # the prompt was sent once


def test_stop_sequences_beyond_the_server_limit_are_cut_client_side(server: OpenAITestServer) -> None:
    server.reply = lambda p: "    return 1\n# a comment\nmore"
    [g] = run(make(server), req(stop=("\ndef", "\nclass", "\nif", "\nprint", "\n#")))
    assert (g.text, g.raw_text, g.finish_reason) == ("    return 1", "    return 1\n# a comment\nmore", "stop")


def test_chat_requests_use_the_chat_endpoint(server: OpenAITestServer) -> None:
    server.reply = lambda p: f"reply to {p}"
    messages = ({"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"})
    gens = run(make(server), GenerationRequest("T/1", messages=messages, n=2))
    [sent] = server.generation_requests()
    assert sent.path == "/v1/chat/completions" and sent.body["messages"] == list(messages)
    assert [g.text for g in gens] == ["reply to hi"] * 2


def test_finish_reason_length_is_recorded(server: OpenAITestServer) -> None:
    server.finish_reason = "length"
    assert [g.finish_reason for g in run(make(server), req(n=2))] == ["length", "length"]


def test_api_key_comes_from_the_named_environment_variable(server: OpenAITestServer,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-test")
    run(make(server, api_key_env="MY_KEY"), req())
    run(make(server), req())  # OPENAI_API_KEY unset: a local server needs none
    with_key, without = server.generation_requests()
    assert with_key.headers.get("Authorization") == "Bearer sk-test"
    assert "Authorization" not in without.headers


def test_openai_com_without_a_key_fails_before_any_request() -> None:
    with pytest.raises(ModelError, match="OPENAI_API_KEY is not set"):
        OpenAIBackend("gpt-4o", base_url="https://api.openai.com/v1")


# ---------------------------------------------------------------------- openai: n that the server ignores
def test_server_ignoring_n_gets_one_request_per_missing_sample(server: OpenAITestServer) -> None:
    server.honour_n = False
    gens = run(make(server), req(n=5, seed=7, temperature=0.8))
    sent = server.generation_requests()
    assert sorted(s.body["n"] for s in sent) == [1, 1, 1, 1, 5]
    assert sorted(s.body["seed"] for s in sent) == [7, 8, 9, 10, 11]  # never the same seed twice
    assert sorted(g.index for g in gens) == [0, 1, 2, 3, 4] and len({g.text for g in gens}) == 5


def test_server_capping_n_gets_the_rest_in_chunks_of_its_cap(server: OpenAITestServer) -> None:
    server.max_n = 2
    gens = run(make(server), req(n=5))
    assert sorted(s.body["n"] for s in server.generation_requests()) == [1, 2, 5]
    assert sorted(g.index for g in gens) == [0, 1, 2, 3, 4]


def test_start_numbers_samples_and_offsets_the_seed(server: OpenAITestServer) -> None:
    r = GenerationRequest("T/0", prompt="x", n=2, start=10, params=SamplingParams(seed=100))
    assert sorted(g.index for g in run(make(server), r)) == [10, 11]
    assert server.generation_requests()[0].body["seed"] == 110


# ---------------------------------------------------------------------- openai: transient faults
def test_429_is_retried_once_after_retry_after(server: OpenAITestServer) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    server.faults.append(Fault(status=429, retry_after="7"))
    gens = run(make(server, sleep=sleep), req(n=3))
    assert posts(server) == 2 and sorted(g.index for g in gens) == [0, 1, 2]
    assert len(slept) == 1 and slept[0] >= 7  # the wait asked for, not the tiny backoff


def test_retry_after_ms_and_http_dates_are_understood() -> None:
    headers = [{"retry-after-ms": "1500"}, {"retry-after": "3"}, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"},
               {"retry-after": "soon"}, {}]
    assert [_retry_after(httpx.Headers(h)) for h in headers] == [1.5, 3.0, 0.0, None, None]  # a past date: 0


def test_500s_are_retried_until_success(server: OpenAITestServer) -> None:
    server.faults.extend([Fault(status=500), Fault(status=503)])
    assert len(run(make(server), req(n=2))) == 2 and posts(server) == 3


def test_500s_that_never_stop_become_one_line(server: OpenAITestServer) -> None:
    server.always = Fault(status=500)
    with pytest.raises(ModelError) as err:
        run(make(server, max_retries=2), req())
    assert posts(server) == 3
    assert err.value.one_line() == f"server error at {server.url} (HTTP 500: injected fault) (after 3 attempts)"


def test_a_hung_request_times_out_and_is_retried(server: OpenAITestServer) -> None:
    server.faults.append(Fault(hang=5))
    assert sorted(g.index for g in run(make(server, timeout=0.3), req(n=2))) == [0, 1] and posts(server) == 2


def test_a_server_that_always_hangs_is_reported(server: OpenAITestServer) -> None:
    server.always = Fault(hang=5)
    with pytest.raises(ModelError, match=r"no answer from .* within 0.2 s \(after 2 attempts\)"):
        run(make(server, timeout=0.2, max_retries=1), req())
    assert posts(server) == 2


def test_malformed_json_is_retried_then_reported(server: OpenAITestServer) -> None:
    server.faults.append(Fault(body="{not json"))
    assert len(run(make(server), req())) == 1 and posts(server) == 2
    server.always = Fault(body='{"choices": "nope"}')
    with pytest.raises(ModelError, match="malformed response from .*/completions"):
        run(make(server, max_retries=1), req())
    assert posts(server) == 4


def test_a_dropped_connection_is_retried(server: OpenAITestServer) -> None:
    server.faults.append(Fault(drop=True))
    assert len(run(make(server), req())) == 1 and posts(server) == 2


def test_retries_and_ignored_n_never_duplicate_samples(server: OpenAITestServer) -> None:
    server.honour_n = False
    server.faults.extend([Fault(status=429, retry_after="0"), Fault(status=500)])
    gens = run(make(server), req(n=3))
    assert posts(server) == 5  # 2 faults, then 1 + 2 single-sample requests
    assert sorted(g.index for g in gens) == [0, 1, 2] and len({g.text for g in gens}) == 3


# ---------------------------------------------------------------------- openai: permanent failures
def test_unreachable_server_is_one_clear_line() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(ModelError) as err:
        run(OpenAIBackend("tiny", base_url=url), req())
    assert err.value.one_line() == f"cannot reach {url}: connection refused — is the server running? check --base-url"


def test_wrong_model_lists_what_the_server_has(server: OpenAITestServer) -> None:
    with pytest.raises(ModelError) as err:
        run(make(server, model="nope"), req())
    assert err.value.one_line() == f"model 'nope' not found at {server.url}; the server lists: tiny, small"
    assert posts(server) == 1 and server.count("/v1/models") == 1


def test_wrong_model_without_a_models_endpoint(server: OpenAITestServer) -> None:
    server.serve_models = False
    with pytest.raises(ModelError, match=r"model 'nope' not found at .* \(HTTP 404: The model `nope` does not"):
        run(make(server, model="nope"), req())


def test_a_wrong_path_says_so(server: OpenAITestServer) -> None:
    with pytest.raises(ModelError) as err:
        run(make(server, base_url=server.url.removesuffix("/v1") + "/api"), req())
    assert err.value.one_line().endswith("/api/completions does not exist (HTTP 404: no route /api/completions) — "
                                         "does the server speak the OpenAI API? --base-url usually ends in /v1")


def test_a_rejected_key_is_not_retried(server: OpenAITestServer) -> None:
    server.always = Fault(status=401, message="bad key")
    with pytest.raises(ModelError) as err:
        run(make(server), req())
    assert err.value.one_line() == f"{server.url} refused the request (HTTP 401: bad key) — check OPENAI_API_KEY"
    assert posts(server) == 1


# ---------------------------------------------------------------------- openai: concurrency and streaming
def test_requests_in_flight_never_exceed_max_connections(server: OpenAITestServer) -> None:
    server.delay = 0.02
    requests = [GenerationRequest(f"T/{i}", prompt=f"p{i}") for i in range(12)]
    assert len(run(make(server, max_connections=3), *requests)) == 12
    assert posts(server) == 12 and server.max_inflight <= 3


def test_leaving_early_cancels_requests_in_flight(server: OpenAITestServer) -> None:
    server.honour_n = False
    server.faults.extend([Fault(), Fault(), Fault(hang=5)])  # of the 2 follow-up requests, one hangs

    async def go() -> list[int]:
        async with make(server, timeout=5) as backend, asyncio.timeout(2):
            stream, got = backend.generate(req(n=3)), []
            async for g in stream:
                got.append(g.index)
                if len(got) == 2:
                    break
            await stream.aclose()  # must not wait for the hung request
        return got

    assert len(asyncio.run(go())) == 2


def test_generations_stream_as_they_arrive(server: OpenAITestServer) -> None:
    server.gates["slow"] = gate = threading.Event()
    requests = [GenerationRequest("slow", prompt="slow"), GenerationRequest("fast", prompt="fast")]

    async def go() -> list[str]:
        order = []
        async with make(server) as backend, asyncio.timeout(5):
            async for g in generate_all(backend, requests):
                order.append(g.task_id)
                gate.set()  # the slow one answers only after the fast one was yielded
        return order

    assert asyncio.run(go()) == ["fast", "slow"]


# ---------------------------------------------------------------------- fake, replay, requests
def test_fake_backend_can_vary_samples_by_index() -> None:
    fake = FakeBackend(lambda prompt, i: f"{prompt}-{i}")
    gens = run(fake, req(prompt="p", n=3))
    assert sorted(g.text for g in gens) == ["p-0", "p-1", "p-2"]
    assert [r.task_id for r in fake.requests] == ["T/0"] and fake.closed


def test_generate_all_raises_the_first_error() -> None:
    def fn(prompt: str) -> str:
        if prompt == "bad":
            raise ModelError("boom")
        return "ok"
    with pytest.raises(ModelError, match="boom"):
        run(FakeBackend(fn), req(prompt="good"), req(prompt="bad"), req(prompt="good"))


@pytest.mark.parametrize("bad", [{"prompt": "p", "messages": ({"role": "user", "content": "p"},)}, {},
                                 {"prompt": "p", "n": 0}, {"prompt": "p", "start": -1}])
def test_requests_are_validated(bad: dict) -> None:
    with pytest.raises(ValueError):
        GenerationRequest("T", **bad)


def test_replay_serves_a_samples_file_verbatim(tmp_path) -> None:
    path = tmp_path / "samples.jsonl"
    path.write_text('{"task_id": "A", "completion": "  return 1\\n"}\n'
                    '{"task_id": "A", "completion": "  return 2\\n"}\n'
                    '{"task_id": "B", "solution": "def g(): pass\\n", "completion_id": 3}\n')
    backend = load_backend(f"replay:{path}")
    assert backend.counts() == {"A": 2, "B": 1}  # type: ignore[attr-defined]
    a = run(backend, GenerationRequest("A", prompt="", n=2))
    assert [(g.index, g.text, g.kind) for g in a] == [(0, "  return 1\n", "completion"),
                                                      (1, "  return 2\n", "completion")]
    b = GenerationRequest("B", prompt="", start=3, params=SamplingParams(stop=("pass",)))
    assert [(g.text, g.kind) for g in run(load_backend(f"replay:{path}"), b)] == [("def g(): pass\n", "solution")]
    with pytest.raises(ModelError, match="no samples for task C"):
        run(load_backend(f"replay:{path}"), GenerationRequest("C", prompt=""))
    with pytest.raises(ModelError, match=r"has 1 samples for task B \(ids 3\); asked for 0..2"):
        run(load_backend(f"replay:{path}"), GenerationRequest("B", prompt="", n=3))
    path.write_text('{"task_id": "A", "completion": "x"}\n{"task_id": "A"}\n')
    with pytest.raises(SampleFormatError, match=r"samples.jsonl:2: missing key 'completion'"):
        load_backend(f"replay:{path}")


def test_replay_from_a_matching_uses_exact_task_ids(tmp_path) -> None:
    from execeval.samples import load_samples, match_samples
    from execeval.tasks.model import Assert, Task, TaskSet
    from execeval.tasks.model import TestSuite as Suite

    path = tmp_path / "s.json"
    path.write_text(json.dumps([{"task_id": "0", "completion": "x"}]))
    tasks = TaskSet("humaneval", (Task("HumanEval/0", "", "f", "", Suite((Assert("pass"),))),), "mem", "0")
    backend = ReplayBackend.from_matching(match_samples(load_samples(path), tasks))
    assert [g.text for g in run(backend, GenerationRequest("HumanEval/0", prompt=""))] == ["x"]


# ---------------------------------------------------------------------- the spec parser
def test_specs_name_backends(server: OpenAITestServer) -> None:
    assert parse_spec("openai:org/model:v2") == ("openai", "org/model:v2")
    backend = load_backend("openai:tiny", base_url=server.url)
    assert isinstance(backend, OpenAIBackend) and backend.name == f"openai:tiny@{server.url}"
    with pytest.raises(UsageError, match="unknown backend 'gpt'"):
        parse_spec("gpt:4")
    with pytest.raises(UsageError, match="names no model"):
        parse_spec("openai:")


def test_hf_without_transformers_imports_but_does_not_construct(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # makes `import transformers` fail
    import execeval.models.hf  # noqa: F401  (importing never needs transformers)
    with pytest.raises(ModelError) as err:
        load_backend("hf:/models/tiny")
    assert err.value.one_line() == "transformers is not installed: pip install 'execeval[hf]'"


# ---------------------------------------------------------------------- hf, with stub torch and transformers
def _install_stub_hf(monkeypatch: pytest.MonkeyPatch, reply: Reply) -> StubModel:
    modules, model = stub_transformers(reply)
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return model


def test_hf_batches_concurrent_requests_and_reports_length(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _install_stub_hf(monkeypatch, lambda p: f"<{p}>")
    gens = run(load_backend("hf:stub", batch_size=8), *[GenerationRequest(f"T/{i}", prompt=f"p{i}") for i in range(5)])
    assert sorted(g.text for g in gens) == [f"<p{i}>" for i in range(5)]
    assert sum(model.batches) == 5 and len(model.batches) < 5  # rows of several requests shared a batch
    model.batches.clear()
    greedy = run(load_backend("hf:stub"), req(prompt="abc", n=4, max_tokens=3))
    assert model.batches == [1]  # greedy: decoded once, copied n times
    assert [(g.text, g.finish_reason) for g in greedy] == [("<ab", "length")] * 4
    assert sum(g.usage["completion_tokens"] for g in greedy) == 3

"""Interactive environments on the real sandbox: state between steps, timeouts, hostile actions contained per
episode, agent loops through the loopback OpenAI server, resume, the report section."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from execeval.models import load_backend
from execeval.protocols.interactive import environment_for, load_interactive_tasks, run_interactive
from execeval.protocols.interactive.env import InteractiveTask
from execeval.protocols.interactive.tree import Tree, tar_directory
from execeval.sandbox import ForkServerSandbox, Limits
from execeval.runs.store import RunStore
from openai_test_server import Fault, openai_server  # noqa: F401  (fixture)

FIXTURES = Path(__file__).parent / "interactive_fixtures"
FAST = Limits(wall_s=4.0, cpu_s=4.0, processes=64)  # a step gets wall_s - 2 s


@pytest.fixture(scope="module")
def sandbox():
    with ForkServerSandbox(workers=2) as sb:
        yield sb


@pytest.fixture(scope="module")
def tasks():
    return {t.task_id: t for t in load_interactive_tasks(FIXTURES / "tasks.jsonl")}


def test_fixture_tasks_load(tasks):
    assert {t.language for t in tasks.values()} == {"bash", "sql", "python"}
    assert sorted(Tree.from_tar(tasks["bash/count_logs"].state).entries) == [
        "data/a.log", "data/b.log", "data/numbers.csv", "notes.txt", "scripts/hello.sh"]


# ---------------------------------------------------------------- Bash
def test_bash_shell_state_persists_between_steps(sandbox, tasks):
    env = environment_for("bash", sandbox, limits=FAST)
    env.reset(tasks["bash/count_logs"])
    env.step("X=5; export Y=6; f() { echo fn $1; }; alias ll='ls -1'; cd data; shopt -s nullglob")
    obs, reward, done, truncated, info = env.step("echo $X $Y; f 1; ll; pwd; echo *.none")
    assert obs.splitlines() == ["5 6", "fn 1", "a.log", "b.log", "numbers.csv", "/tmp/job/fs/data", ""]
    assert (reward, done, truncated, info["ok"]) == (0.0, False, False, True)
    # an action that breaks what a save would use (PATH, printf, mv) cannot lose the state either
    env.step("PATH=/nowhere; printf() { :; }; mv() { :; }; declare() { :; }; Z=9")
    assert env.step("echo $X $Z $PATH")[0] == "5 9 /nowhere\n"
    obs, reward, done, _, _ = env.step("submit")
    assert done and reward < 1  # the last output was not wc's


def test_a_step_that_sleeps_forever_is_killed_and_the_episode_goes_on(sandbox, tasks):
    env = environment_for("bash", sandbox, limits=FAST)
    env.reset(tasks["bash/append_delta"])
    env.step("touch before; KEEP=1")
    obs, _, done, _, info = env.step("touch during; sleep 1000 & sleep 1000")
    assert "timed out" in obs and not done and not info["ok"]
    obs, *_ = env.step("ls; echo keep=$KEEP; cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^sleep$'")
    # the files survive, the shell state of before the timed-out step too, and no sleep is left over
    assert "before" in obs and "during" in obs and "keep=1" in obs and obs.rstrip().endswith("0")


@pytest.mark.parametrize("hostile", [
    ":(){ :|:& };:",
    "rm -rf --no-preserve-root / ~ /tmp/job 2>/dev/null; echo gone",
    "exec 3<>/dev/tcp/1.1.1.1/80 && echo connected; curl -sm2 http://example.com && echo fetched; true",
])
def test_hostile_actions_stay_in_their_episode(sandbox, tasks, hostile):
    task = tasks["bash/count_logs"]
    victim, other = environment_for("bash", sandbox, limits=FAST), environment_for("bash", sandbox, limits=FAST)
    victim.reset(task)
    other.reset(task)

    async def both():
        return await asyncio.gather(victim.astep(hostile), other.astep("sleep 0.5; wc -l data/*.log"))

    (hostile_obs, *_), (obs, *_) = asyncio.run(both())
    assert "connected" not in hostile_obs and "fetched" not in hostile_obs
    assert obs.split() == ["3", "data/a.log", "2", "data/b.log", "5", "total"]
    after, *_ = victim.step("echo still here")  # the hostile episode itself goes on
    assert after == "still here\n"
    assert other.step("submit")[1] == 1.0


def test_bash_rewards_on_fixture_tasks(sandbox, tasks):
    env = environment_for("bash", sandbox, limits=FAST)
    env.reset(tasks["bash/backup_notes"])
    env.step("mkdir backup && cp notes.txt backup/notes.txt")
    assert env.step("submit")[1] == 1.0
    env.reset(tasks["bash/backup_notes"])
    env.step("mkdir backup && echo other > backup/notes.txt")
    # same changes (backup/), other content: 0.01 + 0.33 + 0 + 0.33 (both outputs empty)
    assert env.step("submit")[1] == 0.67
    # the reward compares whole outputs, not what an observation shows the model (8000 characters)
    env.reset(InteractiveTask("long", "bash", "numbers", "seq 3000"))
    obs, *_ = env.step("seq 3000")
    assert "more characters" in obs and env.step("submit")[1] == 1.0


# ---------------------------------------------------------------- SQL
def test_sql_steps_scores_and_errors(sandbox, tasks):
    env = environment_for("sql", sandbox)
    env.reset(tasks["sql/paris_sorted"])
    obs, *_ = env.step("SELECT name FROM customers WHERE city = 'Paris' ORDER BY name DESC")
    assert obs == "[('Cy',), ('Ada',)]"
    assert asyncio.run(env.ascore())[0] == -1.0  # ordered gold, reversed rows: tau -1
    obs, _, _, _, info = env.step("SELECT nope FROM customers")
    assert obs.startswith("Error executing query") and not info["ok"]
    assert asyncio.run(env.ascore())[0] == 0.0
    assert env.step("SELECT name FROM customers WHERE name REGEXP '^[AC]' ORDER BY name")[0] == "[('Ada',), ('Cy',)]"
    env.step("CREATE TABLE t AS SELECT name FROM customers WHERE city = 'Paris'")  # state persists
    env.step("SELECT name FROM t ORDER BY name")
    assert env.step("submit")[1] == 1.0

    env.reset(tasks["sql/totals"])  # no ORDER BY in the gold: the order does not count
    env.step("SELECT customer_id, SUM(amount) FROM orders GROUP BY customer_id ORDER BY customer_id DESC")
    assert env.step("submit")[1] == 1.0
    env.reset(tasks["sql/big_orders"])  # both empty
    env.step("SELECT * FROM orders WHERE amount > 500")
    assert env.step("submit")[1] == 1.0
    env.reset(tasks["sql/big_orders"])  # a statement with no result set is no empty result: 0, as in InterCode
    env.step("CREATE TABLE z (a)")
    assert env.step("submit")[1] == 0.0


# ---------------------------------------------------------------- Python
def test_python_session_and_submit(sandbox, tasks):
    env = environment_for("python", sandbox)
    env.reset(tasks["python/is_prime"])
    assert env.step("def is_prime(n):\n    return n % 2 == 1")[0] == ""
    assert env.step("is_prime(9)")[0] == "True"
    assert env.step("1/0")[0].startswith("ZeroDivisionError")
    # passes is_prime(2)? no; not is_prime(1)? no (1 is odd); 97 yes; not 91? no -> 1 of 4
    assert env.step("submit is_prime")[1] == 0.25
    env.reset(tasks["python/is_prime"])
    env.step("def mine(n):\n    return n > 1 and all(n % d for d in range(2, n))")
    assert env.step("submit mine")[1] == 1.0  # scored under the name the tests call


# ---------------------------------------------------------------- agents through the loopback server
def scripted_reply(tasks):
    """First a wrong attempt that names its task; when the feedback shows that name, the gold answer."""
    by_query = {t.query: t for t in tasks.values()}
    wrong = {"bash": "echo attempt-{id}", "sql": "SELECT 'attempt-{id}'", "python": "print('attempt-{id}')"}

    def reply(prompt: str) -> str:
        if prompt in by_query:
            t = by_query[prompt]
            return f"```\n{wrong[t.language].format(id=t.task_id)}\n```"
        m = re.search(r"attempt-([\w/]+)", prompt)
        return f"```\n{tasks[m.group(1)].gold}\n```" if m else "skip"

    return reply


def test_try_again_reaches_reward_one_on_every_fixture_task(sandbox, tasks, openai_server, tmp_path):
    openai_server.reply = scripted_reply(tasks)

    async def go():
        async with load_backend("openai:tiny", base_url=openai_server.url) as backend:
            return await run_interactive(list(tasks.values()), backend, tmp_path, sandbox, strategy="try_again",
                                         max_turns=3)

    summary = asyncio.run(go())
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert {r["task_id"]: r["solved_at_turn"] for r in rows} == {t: 2 for t in tasks}
    assert summary["success_rate"] == 1.0 and summary["success_by_turn"] == [0.0, 1.0, 1.0]
    store = RunStore.in_dir(tmp_path)
    turns = store.records("episode", "sql/totals/")
    assert [t["reward"] for t in turns.values()] == [0.0, 1.0]
    requests = openai_server.count("/v1/chat/completions")
    assert requests == 2 * len(tasks)
    # the same command again: every episode is finished in the store, no request is made
    asyncio.run(go())
    assert openai_server.count("/v1/chat/completions") == requests


def test_an_interrupted_run_resumes_without_asking_again(sandbox, tasks, openai_server, tmp_path):
    openai_server.reply = scripted_reply(tasks)
    task = tasks["bash/sum_csv"]

    async def go():
        async with load_backend("openai:tiny", base_url=openai_server.url, max_retries=0) as backend:
            return await run_interactive([task], backend, tmp_path, sandbox, strategy="try_again", max_turns=3)

    openai_server.faults.extend([Fault(), Fault(status=400, message="interrupted")])  # turn 1 ok, turn 2 fails
    with pytest.raises(Exception):
        asyncio.run(go())
    assert len(RunStore.in_dir(tmp_path).records("episode", f"{task.task_id}/")) == 1
    before = openai_server.count("/v1/chat/completions")
    summary = asyncio.run(go())
    assert summary["success_rate"] == 1.0
    assert openai_server.count("/v1/chat/completions") == before + 1  # only the missing turn was asked


@pytest.mark.parametrize("strategy,replies", [
    ("single", ["```\nwc -l data/*.log\n```"]),
    ("react", ["Thought: list\nAction: execute[ls data]", "Thought: count\nAction: execute[wc -l data/*.log]",
               "Thought: done\nAction: submit"]),
    ("plan_solve", ["1. look at the files\n2. count their lines", "```\nls data\n```", "```\nwc -l data/*.log\n```"]),
])
def test_strategies(sandbox, tasks, strategy, replies):
    from execeval.models.fake import FakeBackend
    from execeval.protocols.interactive.runner import run_episode

    queue = list(replies)
    backend = FakeBackend(lambda prompt: queue.pop(0))
    env = environment_for("bash", sandbox, limits=FAST)
    row = asyncio.run(run_episode(env, tasks["bash/count_logs"], backend, strategy=strategy, max_turns=4))
    assert row["best_reward"] == 1.0 and not queue
    assert row["turns"] == {"single": 1, "react": 3, "plan_solve": 2}[strategy]


def test_episodes_report_section(sandbox, tasks, openai_server, tmp_path):
    from execeval.report.sections import episodes

    openai_server.reply = scripted_reply(tasks)

    async def go():
        async with load_backend("openai:tiny", base_url=openai_server.url) as backend:
            await run_interactive([tasks["bash/delete_logs"], tasks["sql/order_count"]], backend, tmp_path,
                                  sandbox, max_turns=2)

    asyncio.run(go())
    made = episodes.section(tmp_path, {})
    assert made is not None
    html = str(made.html)
    assert "rm data/*.log" in html and "attempt-sql/order_count" in html and "1.00" in html
    assert "Success rate 1.000, mean best reward 1.000, success by turn [0.00, 1.00] (try_again)" in html
    assert "<script" not in html and "http" not in html
    assert episodes.section(tmp_path / "nothing", {}) is None


@pytest.mark.slow
def test_fifty_bash_episodes_in_parallel_do_not_interfere(sandbox, tmp_path):
    made = []
    for i in range(50):
        d = tmp_path / f"t{i}"
        d.mkdir()
        (d / "id.txt").write_text(f"episode-{i}\n")
        made.append(InteractiveTask(f"p{i}", "bash", "whose tree?", "cat id.txt", tar_directory(d)))

    async def episode(task):
        env = environment_for("bash", sandbox)
        await env.areset(task)
        await env.astep(f"echo {task.task_id} > mine.txt; ME={task.task_id}")
        obs, *_ = await env.astep("cat id.txt mine.txt; echo $ME; ls")
        _, reward, *_ = await env.astep("submit")
        return task, obs, Tree.from_tar(env.state), reward

    async def run_all():
        return await asyncio.gather(*(episode(t) for t in made))

    for task, obs, tree, reward in asyncio.run(run_all()):
        i = task.task_id[1:]
        assert obs.split() == [f"episode-{i}", task.task_id, task.task_id, "id.txt", "mine.txt"]
        assert sorted(tree.entries) == ["id.txt", "mine.txt"]
        assert 0 < reward < 1  # an extra file and another output: never the gold's 1


def test_cli_run_then_report(tasks, openai_server, tmp_path):
    from typer.testing import CliRunner

    from execeval.cli import app
    from execeval.report.html import render_report

    openai_server.reply = scripted_reply(tasks)
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["interact", "run", str(FIXTURES / "tasks.jsonl"), "--model", "openai:tiny",
                                      "--base-url", openai_server.url, "--out", str(out), "--turns", "2",
                                      "--limit", "3", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "3 episodes: success 1.000" in result.output
    page = render_report(out, None).read_text()
    assert "Interactive episodes" in page and "attempt-bash/count_logs" in page


def test_python_and_sql_steps_that_never_end_are_cut_and_the_episode_goes_on(sandbox, tasks):
    short = Limits(wall_s=1.0, cpu_s=1.0)
    python = environment_for("python", sandbox, limits=short)
    python.reset(tasks["python/add"])
    python.step("def add(a, b):\n    return a + b")
    obs, _, done, _, info = python.step("while True:\n    pass")
    assert "did not finish" in obs and not done and not info["ok"]
    assert python.step("add(2, 3)")[0] == "5"  # the endless cell is not part of the session
    assert python.step("submit add")[1] == 1.0

    sql = environment_for("sql", sandbox, limits=short)
    sql.reset(tasks["sql/order_count"])
    forever = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    obs, _, done, _, _ = sql.step(forever)
    assert "timed out" in obs and not done
    sql.step("SELECT COUNT(*) FROM orders")
    assert sql.step("submit")[1] == 1.0

"""InterCode's own formats: its task files load without conversion (nl2bash trees built by its setup script in
the sandbox, Spider-style SQL from its MySQL dump, MBPP), and the replay agent re-scores its results files.
The small files are ours, in InterCode's layout; InterCode's real files are used when present."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from execeval.protocols.interactive import environment_for, load_interactive_tasks
from execeval.protocols.interactive.intercode import replay, summarize
from execeval.protocols.interactive.mysqldump import convert_dump_file
from execeval.protocols.interactive.tree import Tree
from execeval.sandbox import ForkServerSandbox

IC = Path(__file__).parent / "interactive_fixtures" / "intercode"
REAL = Path(os.environ.get("EXECEVAL_INTERCODE_DIR", "/work/shared/data/intercode"))


@pytest.fixture(scope="module")
def sandbox():
    with ForkServerSandbox(workers=2) as sb:
        yield sb


def test_nl2bash_file_loads_with_its_file_system(sandbox):
    tasks = load_interactive_tasks(IC / "data/nl2bash/nl2bash_fs_9.json", sandbox=sandbox)
    assert [t.task_id for t in tasks] == ["0", "1"] and tasks[0].mounts == ("/testbed",)
    assert sorted(Tree.from_tar(tasks[0].state).entries) == ["testbed/b.txt", "testbed/dir1/a.txt"]
    env = environment_for("bash", sandbox)
    env.reset(tasks[0])
    assert env.step("ls /testbed")[0] == "b.txt\ndir1\n"
    assert env.step("cd /testbed/dir1 && pwd && find /testbed -name a.txt")[0] == "/testbed/dir1\n/testbed/dir1/a.txt\n"
    assert env.step("cd / && ls testbed/dir1")[0] == "a.txt\n"  # InterCode's cwd starts at /, the tree's root


def test_replays_run_bash_actions_as_intercode_did(sandbox):
    from execeval.protocols.interactive.intercode import InterCodeBashEnv

    task = load_interactive_tasks(IC / "data/nl2bash/nl2bash_fs_9.json", sandbox=sandbox)[0]
    env = InterCodeBashEnv(sandbox)
    env.reset(task)
    # `/bin/bash -c "echo "x y""` split by shlex: the script is `echo x`, and y is $0
    assert env.step('echo "x y"')[0] == "x\n"
    assert env.step('echo "unbalanced')[0] == "Malformed command"  # shlex refuses: no closing quotation
    env.step("X=1")
    assert env.step("echo [$X]")[0] == "[]\n"  # a fresh bash per action
    env.step("cd /testbed/dir1")
    assert env.step("ls")[0] == "a.txt\n"  # InterCode tracks the cwd itself: a failed cd keeps it
    obs, _, _, _, info = env.step("cd nowhere")
    assert not info["ok"] and env.step("pwd")[0] == "/testbed/dir1\n"
    env.step("cd ../..")
    assert env.step("ls")[0] == "testbed\n"


def test_mysql_dump_converts_to_sqlite():
    import sqlite3

    dbs = convert_dump_file(IC / "data/sql/ic_shop_dbs.sql")
    con = sqlite3.connect(":memory:")
    con.deserialize(dbs["shop"])
    assert con.execute("SELECT id, name FROM people ORDER BY id").fetchall() == [
        (1, "Zed"), (2, "O'Brien; \"Jr\""), (3, "Amy")]
    # the dump's utf8mb4_general_ci: strings compare without case, as in InterCode's MySQL
    assert con.execute("SELECT id FROM people WHERE name = 'zed'").fetchall() == [(1,)]


def test_replay_bash_results(sandbox):
    tasks = load_interactive_tasks(IC / "data/nl2bash/nl2bash_fs_9.json", sandbox=sandbox)
    out = asyncio.run(replay(IC / "results/bash_multiturn.json", tasks, sandbox))
    first, second = out["rows"]
    # turn 1: `ls` prints "b.txt dir1" (tokens txt, dir1), the gold "2" (no token): cosine 0 -> 0.01+0.33+0.33
    assert first["replayed"] == [0.67, 1.0] and first["match"]
    # same added file, other content (0), both outputs empty (0.33): 0.67, where the file says 0.5
    assert second["replayed"] == [0.67] and not second["match"]
    assert (out["episodes"], out["matched"]) == (2, 1)


def test_replay_sql_results_with_intercodes_order_rule(sandbox):
    tasks = load_interactive_tasks(IC / "data/sql/ic_shop.json")
    out = asyncio.run(replay(IC / "results/sql_multiturn.json", tasks, sandbox))
    # SHOW TABLES is MySQL's (an error here, no common rows there: 0 both); unordered rows against the
    # ORDER BY gold: tau -1; then right
    assert out["rows"][0]["replayed"] == [0.0, -1.0, 1.0]
    # InterCode applies tau even when the gold sets no order: reversed rows of an unordered query give -1
    assert out["rows"][1]["replayed"] == [-1.0]
    assert out["matched"] == 2


def test_replay_python_results(sandbox):
    tasks = load_interactive_tasks(IC / "data/python/ic_mini_mbpp.json")
    out = asyncio.run(replay(IC / "results/python_multiturn.json", tasks, sandbox))
    assert out["rows"][0]["replayed"] == [pytest.approx(1 / 3), 1.0] and out["matched"] == 1


@pytest.mark.slow
@pytest.mark.skipif(not (REAL / "data/results").is_dir(), reason="InterCode's repository is not at "
                    "EXECEVAL_INTERCODE_DIR (or /work/shared/data/intercode)")
def test_replay_a_published_intercode_run(sandbox):
    tasks = load_interactive_tasks(REAL / "data/nl2bash/nl2bash_fs_1.json", sandbox=sandbox)
    out = asyncio.run(replay(REAL / "data/results/bash/gpt-4/ic_bash_multiturn_gpt-4_10_turns_fs_1.json", tasks,
                             sandbox))
    assert out["episodes"] == 60 and out["matched"] >= 50  # 52 here; see docs/interactive.md for the rest


def test_replay_reports_success_rates(sandbox):
    tasks = load_interactive_tasks(IC / "data/nl2bash/nl2bash_fs_9.json", sandbox=sandbox)
    out = asyncio.run(replay(IC / "results/bash_multiturn.json", tasks, sandbox))
    # best rewards recorded 1.0 and 0.5, replayed 1.0 and 0.67: one of two solved either way
    assert out["recorded_success"] == out["replayed_success"] == 0.5
    assert summarize([{"match": True, "recorded_max": 1.0, "replayed_max": 0.99}])["replayed_success"] == 0.0


def test_replay_refuses_results_of_another_task_file(sandbox, tmp_path):
    from execeval.errors import UsageError

    tasks = load_interactive_tasks(IC / "data/nl2bash/nl2bash_fs_9.json", sandbox=sandbox)
    episodes = json.loads((IC / "results/bash_multiturn.json").read_text())
    other = dict(episodes, **{"1": dict(episodes["1"], query="Delete /testbed")})
    (tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.raises(UsageError, match="episode 1's query 'Delete /testbed' is not task 1's") as err:
        asyncio.run(replay(tmp_path / "other.json", tasks, sandbox))
    assert "--tasks nl2bash_fs_9.json" in err.value.one_line() and "\n" not in err.value.one_line()
    # same queries, but recorded on fs_2: its file system is InterCode's setup_nl2b_fs_2.sh, not fs_9's
    moved = {k: dict(e, dataset="./data/nl2bash/nl2bash_fs_2.json") for k, e in episodes.items()}
    (tmp_path / "fs2.json").write_text(json.dumps(moved))
    with pytest.raises(UsageError, match="setup_nl2b_fs_2.sh") as err:
        asyncio.run(replay(tmp_path / "fs2.json", tasks, sandbox))
    assert "--setup" in err.value.one_line()


def test_a_task_file_away_from_its_setup_script_says_to_pass_it(tmp_path):
    from execeval.errors import TaskFormatError

    (tmp_path / "nl2bash_fs_9.json").write_text((IC / "data/nl2bash/nl2bash_fs_9.json").read_text())
    with pytest.raises(TaskFormatError, match="setup_nl2b_fs_9.sh") as err:
        load_interactive_tasks(tmp_path / "nl2bash_fs_9.json")
    assert "--setup" in err.value.one_line() and "docker/bash_scripts" in err.value.one_line()


def test_cli_replay_prints_success_per_file_and_overall(tmp_path):
    from typer.testing import CliRunner

    from execeval.cli import app

    rows = tmp_path / "rows.jsonl"
    result = CliRunner().invoke(app, ["interact", "replay", str(IC / "results/bash_multiturn.json"),
                                      str(IC / "results/bash_multiturn.json"), "--tasks",
                                      str(IC / "data/nl2bash/nl2bash_fs_9.json"), "--workers", "1", "-o", str(rows)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("bash_multiturn.json: 1 of 2 episodes match") and "recorded 0.500, replayed 0.500" in lines[0]
    assert lines[-1].startswith("overall: 2 of 4 episodes match") and len(rows.read_text().splitlines()) == 4
    result = CliRunner().invoke(app, ["interact", "replay", str(IC / "results/sql_multiturn.json"), "--tasks",
                                      str(IC / "data/nl2bash/nl2bash_fs_9.json"), "--workers", "1"])
    assert result.exit_code != 0 and "is not task 0's" in result.output


def test_plan_solve_results_in_meta_and_logs_shape_read(tmp_path):
    from execeval.protocols.interactive.intercode import read_results

    episodes = json.loads((IC / "results/bash_multiturn.json").read_text())
    wrapped = {"meta": {"data_path": "./data/nl2bash/nl2bash_fs_9.json", "env": "bash"}, "logs": episodes}
    (tmp_path / "plan_solve.json").write_text(json.dumps(wrapped))
    assert read_results(tmp_path / "plan_solve.json") == read_results(IC / "results/bash_multiturn.json")

"""InterCode's own files: its task sets (loaded without conversion) and its results JSON, replayed.

A results file maps an index to an episode: `turn_history` holds the actions the model took and the reward
InterCode recorded after each, `summary.max_reward` the episode's best. `replay` re-executes those actions in
execeval's environments and re-scores them with InterCode's exact rules (Bash: only added files' content is
compared; SQL: Kendall's tau always applies), so a published run can be checked against its reported rewards.
Three shapes occur: multi-turn and plan-solve (every action runs and is scored as if submitted), and ReAct
(`execute[...]` runs unscored, `submit` scores).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shlex
from collections.abc import Sequence
from pathlib import Path

from execeval.errors import TaskFormatError, UsageError
from execeval.protocols.interactive.bash import FS, BashEnv
from execeval.protocols.interactive.env import InteractiveTask
from execeval.protocols.interactive.mysqldump import convert_dump_file
from execeval.sandbox.base import Command, Sandbox
from execeval.sandbox.limits import Limits

__all__ = ["load", "replay", "read_results", "check_results", "check_episode", "summarize"]

_SYSTEM_DIRS = {"bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "libx32", "media", "mnt", "opt",
                "proc", "root", "run", "sbin", "srv", "sys", "tmp", "usr", "var"}
_trees: dict[str, bytes] = {}
_dumps: dict[str, dict[str, bytes]] = {}


def load(kind: str, path: Path, rows: list[dict], *, sandbox: Sandbox | None, setup=None, dump=None
         ) -> list[InteractiveTask]:
    if kind == "python":
        return [InteractiveTask(str(i), "python", r["query"], r["gold"], tests=tuple(r["tests"]),
                                test_setup=r.get("test_setup_code") or "", extra={"source_id": r.get("task_id")})
                for i, r in enumerate(rows)]
    if kind == "sql":
        dbs = _databases(path, dump)
        missing = sorted({r["db"] for r in rows} - set(dbs))
        if missing:
            raise TaskFormatError(f"{path}: databases {', '.join(missing[:5])} are not in the dump",
                                  hint="pass the dump the task file was made with (dump=...)")
        return [InteractiveTask(str(i), "sql", r["query"], _gold(r["gold"]), state=dbs[r["db"]],
                                extra={"db": r["db"], "tables": r.get("db_tables", {}),
                                       "hardness": r.get("hardness")}) for i, r in enumerate(rows)]
    script_path = _setup_script(path, setup)
    state, mounts = b"", ()
    if script_path is not None:
        script = script_path.read_text()
        mounts = infer_mounts(script, _ignored(script_path))  # type: ignore[assignment]  # a tuple of any length
        if mounts:
            if sandbox is None:
                raise UsageError(f"{path}: building InterCode's file system needs a sandbox",
                                 hint="pass sandbox= to load_interactive_tasks")
            state = build_tree(script, mounts, sandbox)
    return [InteractiveTask(str(i), "bash", r["query"], _gold(r["gold"]), state=state, mounts=mounts,
                            extra={"file_system": script_path.name if script_path else None})
            for i, r in enumerate(rows)]


def _gold(gold) -> str:
    return ";".join(gold) if isinstance(gold, list) else str(gold)


def _setup_script(path: Path, setup) -> Path | None:
    if setup is not None:
        return Path(setup)
    m = re.search(r"fs_(\d+)", path.name)
    if not m:
        return None
    for root in (path.parent, *path.parents):
        candidate = root / "docker" / "bash_scripts" / f"setup_nl2b_fs_{m.group(1)}.sh"
        if candidate.exists():
            return candidate
    raise TaskFormatError(f"{path}: InterCode's setup_nl2b_fs_{m.group(1)}.sh (it builds this task set's file system) "
                          "is not in a docker/bash_scripts/ of any directory above it",
                          hint=f"pass --setup PATH/setup_nl2b_fs_{m.group(1)}.sh (setup=PATH), from InterCode's "
                          "repository's docker/bash_scripts/")


def infer_mounts(setup_script: str, ignored: set[str]) -> tuple[str, ...]:
    """The absolute top-level paths a setup script writes (InterCode's /testbed, /system, ...)."""
    names = re.findall(r"(?<![\w.$/-])/([A-Za-z_][\w.-]*)", setup_script)
    return tuple(sorted({f"/{n}" for n in names if n not in ignored}))


def _ignored(script_path: Path) -> set[str]:
    """What InterCode's git ignores (its docker.gitignore), else the usual system directories."""
    gitignore = script_path.parent.parent / "docker.gitignore"
    if gitignore.exists():
        names = {ln.strip().strip("/") for ln in gitignore.read_text().splitlines()}
        return {n for n in names if n and not n.startswith("#")} | {"tmp", "dev", "usr", "proc"}
    return _SYSTEM_DIRS


def build_tree(script: str, mounts: Sequence[str], sandbox: Sandbox) -> bytes:
    """Run InterCode's setup script in the sandbox, its absolute paths moved into the job's tree."""
    key = hashlib.sha256(script.encode() + repr(tuple(mounts)).encode()).hexdigest()
    if key not in _trees:
        moved = script
        for mount in mounts:
            moved = re.sub(rf"(?<![\w./~-]){re.escape(mount)}(?![\w.-])", "/tmp/job/fs" + mount, moved)
        job = Command(("/bin/bash", "-c", "mkdir -p fs && /bin/bash setup.sh >setup.log 2>&1; tar -cf tree.tar fs"),
                      files={"setup.sh": moved.encode()}, collect=("tree.tar",))
        result = sandbox.run(job, Limits(wall_s=60, cpu_s=60))
        if "tree.tar" not in result.files:
            raise TaskFormatError(f"InterCode's setup script did not run ({result.status.value})")
        _trees[key] = result.files["tree.tar"]
    return _trees[key]


def _databases(path: Path, dump) -> dict[str, bytes]:
    dump_path = Path(dump) if dump else next(iter(sorted(path.parent.glob("*_dbs.sql"))), None)
    if dump_path is None or not dump_path.exists():
        raise TaskFormatError(f"{path}: no MySQL dump (*_dbs.sql) beside it", hint="pass dump=PATH (--dump)")
    key = str(dump_path.resolve())
    if key not in _dumps:
        _dumps[key] = convert_dump_file(dump_path)
    return _dumps[key]


# ---------------------------------------------------------------- InterCode's way of running a Bash action
class InterCodeBashEnv(BashEnv):
    """Bash as InterCode ran it, for replays: each action is `docker exec` of the string `/bin/bash -c
    "<action>"`, which docker-py splits with `shlex.split` (so a `"` inside the action ends the `-c` script and
    what follows becomes `$0`, `$1`...; an unbalanced quote is "Malformed command"), in a fresh bash each time
    (no variable survives a step) whose working directory InterCode tracks itself: an action starting with `cd`
    has its argument resolved against that directory, and becomes the new one when the `cd` succeeds."""

    def _reset_state(self, task: InteractiveTask) -> None:
        super()._reset_state(task)
        self.workdir, self._pending = "/", None

    def _command(self, action: str) -> str:
        self._pending = None
        action = action.strip()
        workdir = self.workdir
        if action.startswith("cd") and "cd " in action:
            self._pending = _simplify_path(self.workdir, action[action.index("cd ") + 3:].strip())  # type: ignore[assignment]  # set when a cd is pending
            action, workdir = f"cd {self._pending}", "/"
        return f"cd {shlex.quote(self._job_path(workdir))} 2>/dev/null; " + _exec_line(self._to_job(action))

    def _gold_command(self, gold: str) -> str:
        return _exec_line(self._to_job(gold.strip()))

    def _absorb(self, action: str, result):
        step = super()._absorb(action, result)
        if self._pending is not None and step.ok:
            self.workdir = self._pending
        return step

    def _job_path(self, path: str) -> str:
        mounts = self.task.mounts if self.task else ()
        if path == "/" or any(path == m or path.startswith(m + "/") for m in mounts):
            return FS + (path if path != "/" else "")
        return path


def _exec_line(action: str) -> str:
    try:
        argv = shlex.split(f'/bin/bash -c "{action}"')
    except ValueError:
        return "printf 'Malformed command'; false"
    return shlex.join(argv)


def _simplify_path(current: str, changed: str) -> str:
    """InterCode's resolution of a `cd` argument against its own notion of the working directory."""
    if not changed:
        return current
    parts: list[str] = []
    for segment in (("" if changed.startswith("/") else current) + "/" + changed).split("/"):
        if segment == "..":
            if parts:
                parts.pop()
        elif segment and segment != ".":
            parts.append(segment)
    return "/" + "/".join(parts)


# ---------------------------------------------------------------- replay
def read_results(path: str | Path) -> list[dict]:
    """A results file's episodes, in index order."""
    data = json.loads(Path(path).read_text())
    if isinstance(data, dict) and isinstance(data.get("logs"), dict):  # plan-solve runs: {"meta": ..., "logs": ...}
        data = data["logs"]
    episodes = data.values() if isinstance(data, dict) else data
    return sorted(episodes, key=lambda e: int(e["task_id"]))


def check_results(results_path: str | Path, tasks: Sequence[InteractiveTask], *, limit: int | None = None
                  ) -> list[dict]:
    """The file's episodes (the first `limit`), each checked against its task (`check_episode`) before any runs."""
    episodes = read_results(results_path)[:limit]
    by_id = {t.task_id: t for t in tasks}
    for episode in episodes:
        check_episode(results_path, episode, by_id.get(str(episode["task_id"])))
    return episodes


def check_episode(results_path: str | Path, episode: dict, task: InteractiveTask | None) -> InteractiveTask:
    """The task an episode was run on, or a one-line error when the task file is not the one the results name:
    each episode records its `query` (and `dataset`), and a Bash episode of `nl2bash_fs_N` needs that file
    system (InterCode's `setup_nl2b_fs_N.sh`)."""
    dataset = str(episode.get("dataset") or "")
    made_on = f" (made on {dataset})" if dataset else ""
    hint = f"pass --tasks {Path(dataset).name or 'FILE'}, the task file the results were made on"
    if task is None:
        raise UsageError(f"{results_path}: episode {episode['task_id']} has no task in the task file{made_on}",
                         hint=hint)
    recorded = episode.get("query")
    if isinstance(recorded, str) and recorded.strip() != task.query.strip():
        raise UsageError(f"{results_path}: episode {episode['task_id']}'s query {recorded.strip()[:60]!r} is not "
                         f"task {task.task_id}'s {task.query.strip()[:60]!r}{made_on}", hint=hint)
    m = re.search(r"fs_(\d+)", Path(dataset).name)
    wanted = f"setup_nl2b_fs_{m.group(1)}.sh" if m else None
    if task.language == "bash" and wanted and task.extra.get("file_system") != wanted:
        raise UsageError(f"{results_path}: made on {dataset}, whose file system InterCode's {wanted} builds; the "
                         f"tasks were loaded with {task.extra.get('file_system') or 'no setup script'}",
                         hint=f"keep the task file in InterCode's repository (data/nl2bash/, with its "
                         f"docker/bash_scripts/) or pass --setup PATH/{wanted}")
    return task


_EXECUTE = re.compile(r"^execute\[(.*)\]$", re.S)


async def replay_episode(env, task: InteractiveTask, episode: dict) -> dict:
    """Re-run one recorded episode; every turn's reward recomputed where InterCode computed one."""
    history = episode["turn_history"]
    recorded = list(history.get("rewards", []))
    replayed: list[float | None] = []
    observations: list[str] = []
    scored: list[float] = []
    await env.areset(task)
    for action in history["actions"]:
        react = _EXECUTE.match(action.strip())
        word = action.strip().split(maxsplit=1)[:1]
        if word == ["skip"] or action == "blocked":
            replayed.append(0.0)
            break
        if word == ["submit"]:
            reward, _ = await env.ascore(None)
            replayed.append(reward)
            scored.append(reward)
            break
        if react:
            observations.append((await env.astep(react.group(1)))[0])
            replayed.append(0.0)
            continue
        observations.append((await env.astep(action))[0])
        if task.language == "python":
            name = re.match(r"\s*def (\w+)\(", action)
            if not name:
                replayed.append(0.0)
                continue
            reward, _ = await env.ascore(name.group(1))
        else:
            reward, _ = await env.ascore(None)
        replayed.append(reward)
        scored.append(reward)
    if not scored and replayed:  # a ReAct episode that never submitted: InterCode scores where it stopped
        reward, _ = await env.ascore(None)
        scored.append(reward)
    best = max(scored, default=0.0)
    expected = float(episode.get("summary", {}).get("max_reward", max(recorded, default=0.0)) or 0.0)
    return {"task_id": task.task_id, "query": task.query, "recorded_max": expected, "replayed_max": best,
            "match": abs(best - expected) <= 0.011, "recorded": recorded, "replayed": replayed,
            "observations": observations}


async def replay(results_path: str | Path, tasks: Sequence[InteractiveTask], sandbox: Sandbox, *,
                 limit: int | None = None, concurrency: int = 16, episodes: list[dict] | None = None) -> dict:
    """Replay every episode of an InterCode results file against `tasks` (the task file it was run on).
    `episodes`: the file's episodes as `check_results` returned them, when the caller checked it already."""
    from execeval.protocols.interactive.runner import environment_for

    if episodes is None:
        episodes = check_results(results_path, tasks, limit=limit)
    gate = asyncio.Semaphore(concurrency)
    by_id = {t.task_id: t for t in tasks}

    async def one(episode: dict) -> dict:
        task = by_id[str(episode["task_id"])]  # checked above
        if task.language == "bash":
            env = InterCodeBashEnv(sandbox, check_modified=False)
        else:
            env = environment_for(task.language, sandbox, **({"order": "always"} if task.language == "sql" else {}))  # type: ignore[assignment]  # any Environment
        async with gate:
            return await replay_episode(env, task, episode)

    rows = await asyncio.gather(*(one(e) for e in episodes))
    return {**summarize(rows), "rows": rows}


def summarize(rows: Sequence[dict]) -> dict:
    """Match counts, mean best rewards and success rates (an episode succeeds when its best reward is 1, the
    rate InterCode's paper reports), recorded and replayed, of replayed episodes (of one file or several)."""
    n = len(rows)

    def mean(values) -> float:
        return sum(values) / n if n else 0.0

    matched = sum(r["match"] for r in rows)
    return {"episodes": n, "matched": matched, "match_rate": mean(r["match"] for r in rows),
            "recorded_mean": mean(r["recorded_max"] for r in rows),
            "replayed_mean": mean(r["replayed_max"] for r in rows),
            "recorded_success": mean(_solved(r["recorded_max"]) for r in rows),
            "replayed_success": mean(_solved(r["replayed_max"]) for r in rows)}


def _solved(reward: float) -> bool:
    return reward >= 1.0 - 1e-9

"""Bash episodes: a shell session whose state (file tree, cwd, variables, functions, aliases, options) is kept
in the harness between steps, one sandbox job per step.

Each step's job unpacks the state tar into the job's private work dir, starts bash, restores the shell's state,
sources the action, and saves the state again on exit; the outer driver gives the action `timeout` seconds,
then kills its whole process group, so `sleep 1000 &` or a fork bomb ends with the step, and packs the tree
back into one tar (`Command.collect`). A step that times out keeps the files it wrote and the shell state of
before it. The tree sits at /tmp/job/fs; a task's absolute paths (InterCode's `/testbed`) are rewritten to it
in actions and back in observations.
"""

from __future__ import annotations

import hashlib
import io
import re
import tarfile

from execeval.errors import SandboxError
from execeval.protocols.interactive.env import STEP_LIMITS, Environment, InteractiveTask, Step, shorten
from execeval.protocols.interactive.rewards import bash_reward
from execeval.protocols.interactive.tree import ROOT, Tree
from execeval.sandbox.base import Command, ExecResult, Program, Sandbox, Status
from execeval.sandbox.limits import Limits

__all__ = ["BashEnv"]

JOB_DIR = "/tmp/job"  # every sandbox job's work dir (execeval.sandbox.isolation.worker.JOB_DIR)
FS = f"{JOB_DIR}/{ROOT}"
_STATE, _OUT = "ee_state.tar", "ee_out.tar"

# The outer driver: unpack, run the inner shell under a timeout in its own process group, kill what is left,
# pack. `set -m` gives the background job its own group, which `kill -- -PID` ends whatever it started.
_DRIVER = r"""
cd /tmp/job || exit 97
tar -xf ee_state.tar || exit 98
rm -f ee_state.tar
set -m
timeout -k 1 "$1" /bin/bash /tmp/job/ee_inner.sh </dev/null >ee_obs.txt 2>&1 &
pid=$!
wait "$pid"
rc=$?
echo $rc >ee_rc
kill -KILL -- "-$pid" 2>/dev/null
[ "$(stat -c %s ee_obs.txt)" -gt 65536 ] && truncate -s 65536 ee_obs.txt
# a timed-out step keeps the shell state of before it (its own was cut off at an arbitrary point)
# (and a save cut short, or never made, keeps the one before too: only builtins write it, the end is marked)
if [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] && [ "$(tail -n 1 ee_shell.new 2>/dev/null)" = "# execeval: complete" ]
then mv -f ee_shell.new ee_shell.sh; fi
rm -f ee_shell.new
rm -f ee_inner.sh ee_action.sh
mkdir -p fs; touch ee_shell.sh ee_obs.txt  # an action may delete its whole tree (or more): that is the new state
tar -cf ee_out.tar fs ee_shell.sh ee_rc ee_obs.txt || exit 99
"""

# The inner shell: restore, run the action at top level (so `declare` and `export` land where they would in a
# terminal), save on exit however the action ends (`exit`, `set -e`, the end).
_INNER = r"""
cd /tmp/job/fs 2>/dev/null
shopt -s expand_aliases
__ee_save() {
  builtin local __ee_v
  {
    builtin unset -f __ee_save
    for __ee_v in $(builtin compgen -v); do
      case "$__ee_v" in
        BASH*|PWD|SHLVL|_|PPID|UID|EUID|RANDOM|SRANDOM|SECONDS|LINENO|HISTCMD|FUNCNAME|GROUPS|PIPESTATUS|\
SHELLOPTS|DIRSTACK|EPOCHREALTIME|EPOCHSECONDS|HOSTNAME|HOSTTYPE|MACHTYPE|OSTYPE|COMP_WORDBREAKS|OPTIND|\
OPTERR|__ee_*) ;;
        *) builtin declare -p "$__ee_v" 2>/dev/null ;;
      esac
    done
    builtin shopt -p
    builtin declare -f  # after the variables: restoring them must not call a `declare` the agent defined
    builtin alias -p
    builtin printf 'cd -- %q 2>/dev/null\n' "$PWD"
    builtin printf '# execeval: complete\n'
  } >/tmp/job/ee_shell.new 2>/dev/null
}
trap __ee_save EXIT
[ -f /tmp/job/ee_shell.sh ] && . /tmp/job/ee_shell.sh >/dev/null 2>&1
. /tmp/job/ee_action.sh
"""


class BashEnv(Environment):
    """Bash episodes on a task's starting tree. `check_modified`: see `rewards.bash_reward`."""

    language = "bash"
    _gold_cache: dict[str, tuple[bytes, str]] = {}  # task key -> (tree tar, output): gold runs once per task

    def __init__(self, sandbox: Sandbox, limits: Limits = STEP_LIMITS, *, check_modified: bool = True) -> None:
        super().__init__(sandbox, limits)
        self.check_modified = check_modified
        self.state = b""
        self.last_output = ""  # the last action's whole output (64 KiB at most): what the reward compares

    def _reset_state(self, task: InteractiveTask) -> None:
        self.state = _with_shell(task.state or _empty_tree(), b"")
        self.last_output = ""

    def _job(self, action: str) -> Program:
        return step_job(self.state, self._command(action), self.limits.wall_s)

    def _command(self, action: str) -> str:
        """The shell text a step sources for an action (the InterCode replay runs actions as InterCode did)."""
        return self._to_job(action)

    def _gold_command(self, gold: str) -> str:
        return self._to_job(gold)

    def _absorb(self, action: str, result: ExecResult) -> Step:
        new = result.files.get(_OUT)
        if new is None:  # the job itself failed (disk full, killed): the state stays as it was
            tail = result.stderr.decode(errors="replace")[-200:]
            why = {Status.TIMEOUT: "the step timed out", Status.CPU_LIMIT: "the step timed out (CPU time)",
                   Status.OUTPUT_LIMIT: "the step wrote too much"}.get(
                result.status, f"the step failed ({result.status.value}: {tail})")
            self.last_output = why
            return Step(action, why, ok=False, info={"status": result.status.value})
        members = _read_members(new, ("ee_rc", "ee_obs.txt"))
        rc = int(members.get("ee_rc", b"1").strip() or 1)
        output = self._from_job(members.get("ee_obs.txt", b"").decode(errors="replace"))
        self.state = new
        if rc == 124 or rc == 137:
            output += ("\n" if output else "") + f"Command timed out after {step_timeout(self.limits.wall_s):g} s"
        self.last_output = output
        return Step(action, shorten(output), ok=rc == 0, info={"exit_code": rc})

    async def _ascore(self, argument: str | None) -> tuple[float, dict]:
        assert self.task is not None
        gold_tar, gold_output = await self._gold(self.task)
        start = Tree.from_tar(self.task.state or _empty_tree())
        result = bash_reward(start, Tree.from_tar(self.state), Tree.from_tar(gold_tar), self.last_output,
                             gold_output, check_modified=self.check_modified)
        return result.reward, {"reward_parts": result.as_dict(), "gold_output": shorten(gold_output, 2000)}

    async def _gold(self, task: InteractiveTask) -> tuple[bytes, str]:
        command = self._gold_command(task.gold)
        key = hashlib.sha256(task.state + b"\0" + command.encode() + repr(task.mounts).encode()).hexdigest()
        if key not in self._gold_cache:
            start = _with_shell(task.state or _empty_tree(), b"")
            result = await self.execute(step_job(start, command, self.limits.wall_s))
            out = result.files.get(_OUT)
            if out is None:
                raise SandboxError(f"task {task.task_id}: the gold command's job failed ({result.status.value})",
                                   hint="run `execeval doctor`; a gold command must fit the step's limits")
            obs = _read_members(out, ("ee_obs.txt",)).get("ee_obs.txt", b"").decode(errors="replace")
            self._gold_cache[key] = (out, self._from_job(obs))
        return self._gold_cache[key]

    # ------------------------------------------------------------ the task's absolute paths <-> the job's tree
    def _to_job(self, text: str) -> str:
        if not (self.task and self.task.mounts):
            return text
        for mount in self.task.mounts:
            text = re.sub(rf"(?<![\w./~-]){re.escape(mount)}(?![\w.-])", FS + mount, text)
        return re.sub(r"(?<![\w.-])cd\s+/(?=\s|$|[;&|)])", f"cd {FS}", text)  # the task's `/` is the tree's root

    def _from_job(self, text: str) -> str:
        if not (self.task and self.task.mounts):
            return text
        return re.sub(rf"{re.escape(FS)}(/|\b|$)", "/", text).replace("//", "/") if FS in text else text


def step_job(state: bytes, action: str, timeout_s: float) -> Command:
    """The job for one step: the state tar in, the new state tar out. The job's own wall limit is the step's
    plus a margin, so the driver (not the sandbox) ends a slow action and the state survives."""
    return Command(("/bin/bash", "ee_driver.sh", f"{step_timeout(timeout_s):g}"),
                   files={_STATE: state, "ee_driver.sh": _DRIVER.encode(), "ee_inner.sh": _INNER.encode(),
                          "ee_action.sh": action.encode() + b"\n"},
                   collect=(_OUT,))


def step_timeout(wall_s: float) -> float:
    """What an action gets of its job's wall limit: the rest packs the tree."""
    return max(wall_s - 2.0, 0.5)


def _with_shell(tree_tar: bytes, shell: bytes) -> bytes:
    """A state tar: the tree plus the saved shell state (empty at the start)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(tree_tar)) as src, tarfile.open(fileobj=buf, mode="w") as dst:
        for m in src:
            dst.addfile(m, src.extractfile(m) if m.isfile() else None)
        info = tarfile.TarInfo("ee_shell.sh")
        info.size = len(shell)
        dst.addfile(info, io.BytesIO(shell))
    return buf.getvalue()


def _empty_tree() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(ROOT)
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
    return buf.getvalue()


def _read_members(data: bytes, names: tuple[str, ...]) -> dict[str, bytes]:
    found = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for m in tar:
            if m.name in names and m.isfile():
                f = tar.extractfile(m)
                found[m.name] = f.read() if f else b""
    return found

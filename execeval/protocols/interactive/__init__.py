"""Interactive environments: Bash, SQL and Python episodes with reset/step, InterCode's rewards, agent loops.

    from execeval.protocols.interactive import environment_for, load_interactive_tasks, run_interactive
    tasks = load_interactive_tasks("tasks.jsonl")                  # or InterCode's nl2bash/spider/mbpp files
    env = environment_for("bash", sandbox)
    observation, info = env.reset(tasks[0])
    observation, reward, terminated, truncated, info = env.step("ls")
    summary = asyncio.run(run_interactive(tasks, backend, "runs/ic", sandbox, strategy="try_again"))

Modules: `env` (the API and task model), `bash` / `sql` / `python` (one environment each; `postgres` runs SQL
on a PostgreSQL server instead of SQLite), `tree` (a file tree
and its git-style changes), `rewards` (InterCode's reward functions, pure), `agents` + `prompts` (the loops),
`runner` (many episodes, the store, results), `metrics`, `tasks` (native format), `intercode` (InterCode's files
and the replay agent), `mysqldump` (its SQL dump as SQLite). See docs/interactive.md.
"""

from execeval.protocols.interactive.env import Environment, InteractiveTask, STEP_LIMITS
from execeval.protocols.interactive.runner import environment_for, run_episode, run_interactive
from execeval.protocols.interactive.tasks import load_interactive_tasks

__all__ = ["Environment", "InteractiveTask", "STEP_LIMITS", "environment_for", "load_interactive_tasks",
           "run_episode", "run_interactive"]

"""The fork-server process: one per worker, started fresh by `forkserver.py`, forks once per job.

- `process.py`: the server's loop and the job's child. `Server._run_in` picks how a `PythonTests` job's
  asserts are judged: lifted, in-process or split.
- `supervision.py`: one running job watched from the server (deadlines, pipes, streamed case lines), then reaped.
- `wire.py`: the framed pipe protocol between the harness and a server, and the test tuples it holds.
- `reportlines.py`: the job's result lines turned into case results (lifted cases compared here).
"""

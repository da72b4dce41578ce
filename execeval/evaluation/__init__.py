"""The evaluation pipeline behind `execeval.evaluate`: samples in, one verdict per sample out.

In the order a sample meets them:
- `programs.py`: task x program -> the sandbox job and its limits (pure).
- `calibration.py`: references' expected outputs and CPU times, this machine's speed.
- `executor.py`: each distinct program once on the sandbox's global queue; wall-clock timeouts re-run.
- `verdict.py`: a sandbox result -> the sample's status, first failing test, error type.
- `runrecord.py`: one sample's run (task, sample, program, job, verdict), what every later layer handles.
- `scoring.py`: pass@k and the summary's figures from the runs.
- `pipeline.py`: `Pipeline` and `EvalConfig`, which put these together with the run store.

`execeval.evaluate.evaluate` is the entry point; the service, `generate` and the protocols use `Pipeline`.
"""

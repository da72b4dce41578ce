"""Protocols that talk back: loops over the same pieces as the main job (a model backend, the sandbox, the run
store), one sub-package per protocol (docs/protocols.md).

- `iterate/`: iterative I/O-example feedback (the model sees examples, then one counterexample per wrong answer);
  `loop` is the protocol, `examples` what it shows the model
- `difftest/`: search for an input on which two programs differ: model-free (`search`) or model-driven (Mokav's
  loop, `model_search`, with `trace`); `run` runs one search as a run (`execeval difftest`); `strength` checks the
  passes of `evaluate --difftest`
- `interactive/`: Bash / SQL / Python environments with reset/step, InterCode's rewards, agent loops

Shared: `observe` (a program's outcomes on inputs, compared in the harness: exceptions and timeouts are outputs),
`inputs` (argument lists: keys, mutations, type-aware random inputs), `runfiles` (results.jsonl and summary.json
in evaluate's schema), `views` (the report sections' HTML pieces).
"""

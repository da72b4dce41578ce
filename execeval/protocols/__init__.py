"""Protocols that talk back: loops over the same pieces as the main job (a model backend, the sandbox, the run
store), one module per protocol.

- `iterate`: iterative I/O-example feedback (the model sees examples, then one counterexample per wrong answer)
- `difftest`: search for an input on which two programs differ (model-driven, as Mokav; or model-free)
- `interactive`: Bash / SQL / Python environments with reset/step, InterCode's rewards, agent loops
"""

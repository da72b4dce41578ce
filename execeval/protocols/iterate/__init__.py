"""Iterative I/O-example feedback (`execeval iterate`): the model sees examples, then one counterexample per
wrong answer, round after round.

- `loop`: the protocol itself (`iterate`, `iterate_async`, `IterateConfig`, `dialogue` to read one back)
- `examples`: what the model is shown (which examples, the first prompt, the feedback after a miss)
"""

from execeval.protocols.iterate.loop import KIND, IterateConfig, dialogue, iterate, iterate_async

__all__ = ["IterateConfig", "iterate", "iterate_async", "dialogue", "KIND"]

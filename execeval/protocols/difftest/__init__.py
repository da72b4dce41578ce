"""Differential testing: search for an input on which two programs differ, and what is built on that search.

- `search`: the model-free search (`find_difference`; inputs from `protocols.inputs`), `first_difference`, and
  `confirm` (a difference is re-run alone before it is claimed)
- `model_search`: the model-driven search (Mokav's loop, `search_with_model`), with `trace` for the values only
  one version holds
- `run`: one search, or a file of pairs, as a run (`execeval difftest`: `run_difftest`, `run_pairs`)
- `strength`: the test-strength check of `evaluate --difftest` (`check_test_strength`): each passing sample
  searched against its task's reference
"""

from execeval.protocols.difftest.search import DiffResult, confirm, find_difference, first_difference
from execeval.protocols.difftest.strength import check_test_strength
from execeval.protocols.difftest.model_search import ModelSearchConfig, search_with_model
from execeval.protocols.difftest.run import PairSpec, load_pairs, run_difftest, run_pairs

__all__ = ["DiffResult", "find_difference", "first_difference", "confirm", "check_test_strength",
           "ModelSearchConfig", "search_with_model", "PairSpec", "load_pairs", "run_difftest", "run_pairs"]

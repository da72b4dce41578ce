"""Pure metric functions: pass@k, per-sample scores, run comparison, metric correlation, compatibility.

No I/O here, and importing this package does not import scipy or numpy (the functions that need scipy import it
when called), so `import execeval.metrics` stays fast for the CLI.
"""

from execeval.metrics.compatibility import (
    CompatibilityResult,
    average_compatibility,
    average_multimodel_accuracy,
    compatibility,
    compatibility_matrix,
    flip_rate_matrix,
)
from execeval.metrics.correlation import Correlation, correlate, correlate_columns
from execeval.metrics.flips import (
    BootstrapCI,
    Comparison,
    FlipCounts,
    McNemar,
    check_same_tasks,
    compare_outcomes,
    flip_counts,
    mcnemar_exact,
    paired_bootstrap_ci,
)
from execeval.metrics.passk import PassAtK, budget_points, mean_pass_at_k, pass_at_budget, pass_at_k, pass_at_k_product
from execeval.metrics.scores import (
    DEFAULT_PROFICIENCY,
    Proficiency,
    ProficiencyLevels,
    SampleScore,
    ScoreSummary,
    is_executable,
    pass_ratio,
    per_task_counts,
    proficiency,
    proficiency_by,
    proficiency_level,
    summarize_scores,
)

__all__ = [
    "BootstrapCI",
    "Comparison",
    "CompatibilityResult",
    "Correlation",
    "DEFAULT_PROFICIENCY",
    "FlipCounts",
    "McNemar",
    "PassAtK",
    "Proficiency",
    "ProficiencyLevels",
    "SampleScore",
    "ScoreSummary",
    "average_compatibility",
    "average_multimodel_accuracy",
    "budget_points",
    "check_same_tasks",
    "compare_outcomes",
    "compatibility",
    "compatibility_matrix",
    "correlate",
    "correlate_columns",
    "flip_counts",
    "flip_rate_matrix",
    "is_executable",
    "mcnemar_exact",
    "mean_pass_at_k",
    "paired_bootstrap_ci",
    "pass_at_budget",
    "pass_at_k",
    "pass_at_k_product",
    "pass_ratio",
    "per_task_counts",
    "proficiency",
    "proficiency_by",
    "proficiency_level",
    "summarize_scores",
]

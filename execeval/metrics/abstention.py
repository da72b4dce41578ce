"""Scoring a system that may abstain ("I won't answer this", "this output is not trustworthy"), as BouncerBench
scores its bouncers (Mathews and Nagappan, "Is Your Automated Software Engineer Trustworthy?", 2025).

Each decision is b = 1 (abstain, "bounce") or 0 (accept), against a truth t = 1 (should abstain) or 0. Both
classes are scored, with precision, recall and F1 taken as 0 when their denominator is 0 (scikit-learn's
`zero_division=0`, which BouncerBench's own scorer uses):

    precision_bounce = TP / (TP + FP)        recall_bounce (R_b) = TP / (TP + FN)
    precision_accept = TN / (TN + FN)        recall_accept       = TN / (TN + FP)     FNR_a = 1 - recall_accept
    F1 = 2 P R / (P + R)                     macro-F1 (F_m) = (F1_bounce + F1_accept) / 2

and two signed scores in [-1, 1] that reward a right decision and penalise a wrong one:

* I-Score (input side: should the task be attempted at all?), with q in [0, 3] the task's underspecification
  (SWE-bench Verified's 0 = well specified ... 3 = almost impossible to solve as written):
      I = (2/3) * mean over tasks of (-1)^(1 - b) * (q - 1.5)
  Abstaining on q = 3 earns +1, accepting q = 0 earns +1, the reverse -1; q = 1 or 2 weigh a third as much.
  Given only a yes/no label, q is 3 (should abstain) or 0.
* O-Score (output side: should this output be trusted?), with c = 1 when the output is wrong (here: fails the
  task's tests) and w >= 0 a weight per output (BouncerBench's per-patch output quality; 1 without one):
      O = mean over outputs of (-1)^(b + c) * w
  A right decision (b = c) earns +w, a wrong one -w; with every w = 1, O = accuracy - error rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from math import fsum

from execeval.errors import UsageError

__all__ = ["AbstentionScores", "abstention_scores", "i_score", "o_score", "score_run_abstention"]


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class AbstentionScores:
    """Confusion counts (positive class: abstain) and the per-class and macro scores; None when n = 0."""

    n: int
    tp: int  # abstained, should have
    fp: int  # abstained, should not have
    fn: int  # answered, should have abstained
    tn: int  # answered, rightly
    precision_bounce: float | None
    recall_bounce: float | None
    f1_bounce: float | None
    precision_accept: float | None
    recall_accept: float | None
    f1_accept: float | None
    macro_f1: float | None
    fnr_accept: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def _check(decisions: Sequence[bool], other: Sequence[object], what: str) -> None:
    if len(decisions) != len(other):
        raise UsageError(f"{len(decisions)} abstention decisions but {len(other)} {what}")


def abstention_scores(abstained: Sequence[bool], should_abstain: Sequence[bool]) -> AbstentionScores:
    """Precision, recall and F1 of abstaining and of answering, macro-F1 and FNR_a, paired by index."""
    _check(abstained, should_abstain, "labels")
    pairs = list(zip(map(bool, abstained), map(bool, should_abstain)))
    tp = sum(1 for b, t in pairs if b and t)
    fp = sum(1 for b, t in pairs if b and not t)
    fn = sum(1 for b, t in pairs if not b and t)
    tn = len(pairs) - tp - fp - fn
    if not pairs:
        return AbstentionScores(0, 0, 0, 0, 0, *([None] * 8))
    pb, rb = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    pa, ra = _ratio(tn, tn + fn), _ratio(tn, tn + fp)
    f1b, f1a = _f1(pb, rb), _f1(pa, ra)
    return AbstentionScores(len(pairs), tp, fp, fn, tn, pb, rb, f1b, pa, ra, f1a, (f1b + f1a) / 2, 1 - ra)


def i_score(abstained: Sequence[bool], quality: Sequence[float]) -> float | None:
    """BouncerBench's I-Score: (2/3) mean (-1)^(1-b) (q - 1.5), q the input's underspecification in [0, 3]."""
    _check(abstained, quality, "input quality labels")
    if any(not 0 <= q <= 3 for q in quality):
        raise UsageError("input quality labels must be between 0 (well specified) and 3 (cannot be solved)")
    if not abstained:
        return None
    return (2 / 3) * fsum((q - 1.5) if b else (1.5 - q) for b, q in zip(abstained, quality)) / len(quality)


def o_score(abstained: Sequence[bool], wrong: Sequence[bool], weights: Sequence[float] | None = None) -> float | None:
    """BouncerBench's O-Score: mean (-1)^(b + c) w, c = 1 for a wrong output, w its weight (default 1)."""
    _check(abstained, wrong, "output verdicts")
    w = [1.0] * len(wrong) if weights is None else [float(x) for x in weights]
    _check(abstained, w, "output weights")
    if any(x < 0 for x in w):
        raise UsageError("output weights must be >= 0")
    if not abstained:
        return None
    return fsum(x if bool(b) == bool(c) else -x for b, c, x in zip(abstained, wrong, w)) / len(w)


LABEL_KEYS = ("should_abstain", "input_quality")  # a task's ground truth; results.jsonl rows carry them along


def labels_from_rows(rows: Sequence[dict]) -> dict[str, dict]:
    """Task labels carried by results.jsonl rows (from `should_abstain` / `input_quality` in the task file): task
    id -> {"should_abstain": ..., "input_quality": ... (when given)}, for tasks whose rows have the label."""
    labels: dict[str, dict] = {}
    for r in rows:
        if r.get("should_abstain") is not None and r["task_id"] not in labels:
            labels[r["task_id"]] = {k: r[k] for k in LABEL_KEYS if r.get(k) is not None}
    return labels


def score_run_abstention(rows: Sequence[dict], labels: dict[str, dict]) -> dict:
    """Both sides for one run: `rows` are results.jsonl rows (with "abstain" where the sample abstained),
    `labels` task id -> {"should_abstain": bool, "input_quality": 0..3 (optional)}.

    Input side: every sample of a labelled task is one decision on that task's input. Output side: every sample
    the harness judged (sandbox errors left out) is one decision on its own output, wrong = failed the tests.
    """
    judged = [r for r in rows if r.get("status") != "sandbox_error"]
    inputs = [r for r in judged if r["task_id"] in labels]
    b_in = [bool(r.get("abstain")) for r in inputs]
    truth = [bool(labels[r["task_id"]].get("should_abstain")) for r in inputs]
    quality = [float(labels[r["task_id"]].get("input_quality", 3.0 if t else 0.0)) for r, t in zip(inputs, truth)]
    b_out = [bool(r.get("abstain")) for r in judged]
    wrong = [not r.get("passed") for r in judged]
    return {
        "n_samples": len(judged), "n_abstained": sum(b_out), "n_labelled_tasks": len(labels),
        "input": {**abstention_scores(b_in, truth).as_dict(), "i_score": i_score(b_in, quality)},
        "output": {**abstention_scores(b_out, wrong).as_dict(), "o_score": o_score(b_out, wrong)},
    }

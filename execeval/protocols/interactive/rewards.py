"""InterCode's rewards, as pure functions of what an episode left behind (no I/O, so each is hand-checkable).

Bash: 0.01 + 0.33 x file-system agreement (1 - erf(missing + extra changes)) + 0.33 x share of the changes both
made whose content is identical + 0.33 x TF-IDF cosine of the two outputs; each part rounded to 2 places as
InterCode does. SQL: intersection over union of the result rows as multisets, times Kendall's tau-b of the order
of the rows both returned. Python: the share of the task's tests that pass.

scikit-learn (for TF-IDF) and scipy (for tau) would add ~100 MB to a harness that needs two formulas, so both are
written out here and held to those libraries by the tests.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from execeval.protocols.interactive.tree import Change, Tree, changes

__all__ = ["BashReward", "bash_reward", "tfidf_cosine", "kendall_tau_b", "sql_reward", "is_ordered_query"]

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern (lower-cased first)


def tfidf_cosine(a: str, b: str) -> float:
    """Cosine similarity of two texts' TF-IDF vectors, as scikit-learn's default `TfidfVectorizer` fitted on
    exactly these two texts (smooth idf = ln(3 / (1 + df)) + 1, raw counts, l2 norm).

    When neither text has a token, scikit-learn raises and InterCode falls back to exact equality; so does this."""
    docs = [Counter(_TOKEN.findall(t.lower())) for t in (a, b)]
    vocab = set(docs[0]) | set(docs[1])
    if not vocab:
        return 1.0 if a == b else 0.0
    idf = {w: math.log(3 / (1 + (w in docs[0]) + (w in docs[1]))) + 1 for w in vocab}
    vecs = [{w: c * idf[w] for w, c in d.items()} for d in docs]
    norms = [math.sqrt(sum(v * v for v in vec.values())) for vec in vecs]
    if not norms[0] or not norms[1]:
        return 0.0
    dot = sum(v * vecs[1].get(w, 0.0) for w, v in vecs[0].items())
    return dot / (norms[0] * norms[1])


@dataclass(frozen=True)
class BashReward:
    reward: float
    file_diff: float  # 0.33 x (1 - erf(missing + extra))
    file_changes: float  # 0.33 x share of common added (and modified) paths with identical content
    answer_similarity: float  # 0.33 x TF-IDF cosine of the outputs
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    same: tuple[str, ...] = field(default=())  # common changes whose content was compared
    same_correct: int = 0

    def as_dict(self) -> dict:
        return {"reward": self.reward, "file_diff": self.file_diff, "file_changes": self.file_changes,
                "answer_similarity": self.answer_similarity, "missing": list(self.missing),
                "extra": list(self.extra), "compared": list(self.same), "identical": self.same_correct}


def bash_reward(start: Tree, agent: Tree, gold: Tree, agent_output: str, gold_output: str, *,
                check_modified: bool = True) -> BashReward:
    """InterCode's Bash reward. Changes are what `git status --short` would list against the starting tree.

    InterCode compares the content of common *added* paths only (a modified file counts as right whatever it
    holds); `check_modified=True` (the default) compares modified files too, as the reward means to.
    `check_modified=False` is InterCode's exact rule, which the replay uses."""
    mine, theirs = set(changes(start, agent)), set(changes(start, gold))
    missing = sorted(theirs - mine)
    extra = sorted(mine - theirs)
    p1 = round(0.33 * (1 - math.erf(len(missing) + len(extra))), 2)
    kinds = {"added", "modified"} if check_modified else {"added"}
    common = sorted(c for c in mine & theirs if c.kind in kinds)
    correct = sum(agent.content(c.path) == gold.content(c.path) for c in common)
    p2 = round(0.33 * correct / len(common), 2) if common else 0.33
    p3 = round(0.33 * tfidf_cosine(agent_output, gold_output), 2)
    return BashReward(round(0.01 + p1 + p2 + p3, 2), p1, p2, p3, tuple(_show(c) for c in missing),
                      tuple(_show(c) for c in extra), tuple(c.path for c in common), correct)


def _show(change: Change) -> str:
    return f"{change.kind} {change.path}"


# ---------------------------------------------------------------- SQL
def kendall_tau_b(x: Sequence, y: Sequence) -> float:
    """Kendall's tau-b of paired sequences (ties corrected, as scipy's `kendalltau`); NaN when undefined
    (fewer than two items, or one side all ties). O(n log n): result sets can have many rows."""
    n = len(x)
    if n != len(y):
        raise ValueError("kendall_tau_b: sequences differ in length")
    if n < 2:
        return math.nan
    pairs = sorted(zip(x, y))
    n0 = n * (n - 1) // 2
    n1 = _tied_pairs(p[0] for p in pairs)
    n3 = _tied_pairs(pairs)
    ys = [p[1] for p in pairs]
    swaps = _count_inversions(ys)  # pairs ordered by x whose y goes the other way; ys is now sorted
    n2 = _tied_pairs(ys)
    denominator = math.sqrt((n0 - n1) * (n0 - n2))
    if denominator == 0:
        return math.nan
    return (n0 - n1 - n2 + n3 - 2 * swaps) / denominator


def _tied_pairs(items) -> int:
    """Pairs of equal items in an already sorted sequence."""
    total, run, previous, first = 0, 0, None, True
    for item in items:
        if not first and item == previous:
            run += 1
        else:
            total += run * (run + 1) // 2
            run = 0
        previous, first = item, False
    return total + run * (run + 1) // 2


def _count_inversions(a: list) -> int:
    """Strict inversions of `a`, which it sorts in place (merge sort)."""
    if len(a) < 2:
        return 0
    mid = len(a) // 2
    left, right = a[:mid], a[mid:]
    count = _count_inversions(left) + _count_inversions(right)
    i = j = k = 0
    while i < len(left) and j < len(right):
        if right[j] < left[i]:
            a[k] = right[j]
            count += len(left) - i
            j += 1
        else:
            a[k] = left[i]
            i += 1
        k += 1
    a[k:] = left[i:] + right[j:]
    return count


_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


def is_ordered_query(sql: str) -> bool:
    """Whether a query fixes its rows' order (has an ORDER BY): what `order="gold"` asks of the gold query."""
    return bool(_ORDER_BY.search(sql))


def sql_reward(agent_rows: Sequence[Sequence] | None, gold_rows: Sequence[Sequence] | None, *,
               ordered: bool = True) -> float:
    """InterCode's SQL reward: rows compared as their `str(tuple)` multisets; IoU; both empty is 1; an error
    (None on either side) is 0. When `ordered` and the intersection has two or more rows that are not all
    equal, the IoU is multiplied by Kendall's tau of the order in which each side lists the rows both share,
    and rounded to 2 places (InterCode always does this; pass `ordered=False` when the gold query sets no order)."""
    if agent_rows is None or gold_rows is None:
        return 0.0
    mine = [str(tuple(r)) for r in agent_rows]
    theirs = [str(tuple(r)) for r in gold_rows]
    a, b = Counter(mine), Counter(theirs)
    union = a | b
    if not union:
        return 1.0
    shared = a & b
    iou = sum(shared.values()) / sum(union.values())
    if not ordered or not shared:
        return iou
    tau = kendall_tau_b(_keep(mine, shared), _keep(theirs, shared))
    return iou if math.isnan(tau) else round(tau * iou, 2)


def _keep(rows: list[str], budget: Mapping[str, int]) -> list[str]:
    """`rows` in their order, each kept while the shared multiset still has copies of it."""
    left = dict(budget)
    kept = []
    for row in rows:
        if left.get(row, 0) > 0:
            left[row] -= 1
            kept.append(row)
    return kept

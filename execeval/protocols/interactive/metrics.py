"""Metrics of a set of episodes (pure): success rate (best reward 1), success by turn, mean reward."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

__all__ = ["summarize"]


def summarize(rows: Sequence[dict], max_turns: int | None = None) -> dict:
    """`success_by_turn[t-1]` is the share of episodes solved within t turns (cumulative)."""
    n = len(rows)
    horizon = max_turns or max((r["turns"] for r in rows), default=0)
    by_turn = [sum(1 for r in rows if r["solved_at_turn"] is not None and r["solved_at_turn"] <= t) / n if n
               else 0.0 for t in range(1, horizon + 1)]
    per_language: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        per_language[r["language"]].append(r)
    return {
        "episodes": n,
        "success_rate": sum(r["passed"] for r in rows) / n if n else 0.0,
        "mean_reward": sum(r["best_reward"] for r in rows) / n if n else 0.0,
        "mean_final_reward": sum(r["final_reward"] for r in rows) / n if n else 0.0,
        "success_by_turn": by_turn,
        "mean_turns": sum(r["turns"] for r in rows) / n if n else 0.0,
        "by_language": {lang: {"episodes": len(rs), "success_rate": sum(r["passed"] for r in rs) / len(rs),
                               "mean_reward": sum(r["best_reward"] for r in rs) / len(rs)}
                        for lang, rs in sorted(per_language.items())},
    }

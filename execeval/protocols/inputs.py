"""Model-free inputs for a difference search: mutations of seed inputs, and type-aware random inputs.

Both start from seed inputs (argument lists), because a function's signature says nothing about what it takes:
a seed's shape (an int, a list of strings, a dict of ints to floats) is the type. Mutations make small edits
where mutants hide (x±1, a boundary, one element dropped, duplicated or changed, an empty container);
random inputs are Hypothesis strategies built from the shape, which lean to boundaries (0, empty, one element)
and so expose off-by-one and missing cases. Everything is seeded: the same seeds and seed give the same inputs.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

from execeval.errors import UsageError
from execeval.values import encode

__all__ = ["mutations", "random_inputs", "search_inputs", "key_of"]

MAX_INT = 10**6
_SMALL_INTS = (0, 1, -1, 2)


def key_of(args: Sequence[Any]) -> str:
    """One text per distinct input, to deduplicate (sets and dicts in a fixed order)."""
    return encode(list(args))


# ------------------------------------------------------------------------------------------ mutations
def _mutate(value: Any, rng: random.Random, depth: int = 0) -> Any:
    """One small edit of `value`, keeping its type."""
    t = type(value)
    if t is bool:
        return not value
    if t is int:
        return rng.choice((value + 1, value - 1, -value, 0, value * 2, value + rng.randint(-10, 10)))
    if t is float:
        return rng.choice((value + 1.0, value - 1.0, -value, 0.0, value * 2, value + 0.5, round(value)))
    if t is str:
        return _mutate_str(value, rng)
    if t in (list, tuple):
        items = _mutate_seq(list(value), rng, depth)
        return items if t is list else tuple(items)
    if t is dict and value:
        keys = list(value)
        k = rng.choice(keys)
        out = dict(value)
        if rng.random() < 0.3:
            del out[k]
        else:
            out[k] = _mutate(value[k], rng, depth + 1)
        return out
    if t in (set, frozenset):
        return t(_mutate_seq(sorted(value, key=repr), rng, depth))
    return value


def _mutate_str(s: str, rng: random.Random) -> str:
    if not s:
        return rng.choice("aZ0 ")
    i = rng.randrange(len(s))
    return rng.choice((
        s[:i] + s[i + 1:],  # drop a character
        s[:i] + s[i] + s[i:],  # duplicate one
        s[:i] + rng.choice(s + "aZ0 ") + s[i + 1:],  # change one
        s[:i] + s[i].swapcase() + s[i + 1:],  # flip one's case
        s.swapcase(), s[::-1], "", s + s[-1], s[0],
    ))


def _mutate_seq(items: list, rng: random.Random, depth: int) -> list:
    if not items:
        return []
    i = rng.randrange(len(items))
    choice = rng.randrange(9)
    if choice == 0:
        return items[:i] + items[i + 1:]
    if choice == 1:
        return items[:i + 1] + [items[i]] + items[i + 1:]
    if choice == 2:
        return items[::-1]
    if choice == 3:
        return []
    if choice == 4:
        return items[:1]
    if choice == 5:
        try:
            return sorted(items)
        except TypeError:
            return items[1:]
    if choice == 6 and depth < 6 and any(type(x) is list for x in items):  # nest one level deeper (where
        return items[:i] + [[items[i]]] + items[i + 1:]  # the list already nests: its type allows it)
    return items[:i] + [_mutate(items[i], rng, depth + 1)] + items[i + 1:]


def mutations(seeds: Sequence[Sequence[Any]], n: int, seed: int = 0) -> list[list[Any]]:
    """Up to `n` distinct inputs, each a seed with one argument edited once or twice."""
    rng = random.Random(seed)
    seen = {key_of(s) for s in seeds}
    out: list[list[Any]] = []
    for _ in range(20 * n):
        if len(out) >= n or not seeds:
            break
        args = list(rng.choice(seeds))
        if not args:
            break
        for _ in range(rng.choice((1, 1, 2))):
            j = rng.randrange(len(args))
            args[j] = _mutate(args[j], rng)
        key = key_of(args)
        if key not in seen:
            seen.add(key)
            out.append(args)
    return out


# ------------------------------------------------------------------------------------------ random (Hypothesis)
def _strategy(value: Any, depth: int = 0):  # -> hypothesis SearchStrategy
    from hypothesis import strategies as st

    t = type(value)
    if t is bool:
        return st.booleans()
    if t is int:
        bound = min(MAX_INT, max(10, 4 * abs(value)))
        return st.integers(-bound, bound)
    if t is float:
        bound = float(min(MAX_INT, max(10.0, 4 * abs(value))))
        return st.floats(-bound, bound, allow_nan=False, allow_infinity=False)
    if t is str:
        alphabet = "".join(sorted(set(value))) + "aZ0 ,."
        return st.text(alphabet=alphabet, max_size=max(8, 2 * len(value)))
    if value is None:
        return st.none()
    if t in (list, tuple, set, frozenset) and depth < 4:
        elements = list(value)
        inner = st.one_of(*[_strategy(e, depth + 1) for e in elements[:3]]) if elements else st.integers(-10, 10)
        size = max(6, 2 * len(elements))
        if t is list:
            return st.lists(inner, max_size=size)
        if t is tuple:  # a tuple is a record: same arity, each field its own type
            return st.tuples(*[_strategy(e, depth + 1) for e in elements])
        return st.sets(inner, max_size=size).map(t) if _all_hashable(elements) else st.just(value)
    if t is dict and depth < 4 and value:
        k, v = next(iter(value.items()))
        return st.dictionaries(_strategy(k, depth + 1), _strategy(v, depth + 1), max_size=max(6, 2 * len(value)))
    return st.just(value)


def _all_hashable(items: list) -> bool:
    try:
        for x in items:
            hash(x)
    except TypeError:
        return False
    return True


def random_inputs(seeds: Sequence[Sequence[Any]], n: int, seed: int = 0) -> list[list[Any]]:
    """Up to `n` distinct inputs drawn by Hypothesis from strategies shaped like the seeds (each seed's shape in
    turn), deterministic for a given `seed`. Needs `hypothesis` (the `protocols` extra)."""
    try:
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import seed as hseed
        from hypothesis import strategies as st
    except ImportError:
        raise UsageError("random inputs need the hypothesis package", hint="pip install 'execeval[protocols]', "
                         "or search with mutations only") from None

    if not seeds or n <= 0:
        return []
    shapes: dict[str, Sequence[Any]] = {}
    for s in seeds:  # one strategy per distinct type shape
        shapes.setdefault(_shape(s), s)
    strategy = st.one_of(*[st.tuples(*[_strategy(a) for a in s]) for s in shapes.values()])
    seen = {key_of(s) for s in seeds}
    out: list[list[Any]] = []

    @hseed(seed)
    @settings(max_examples=n + n // 2 + 5, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(args: tuple) -> None:
        if len(out) < n and (key := key_of(list(args))) not in seen:
            seen.add(key)
            out.append(list(args))

    draw()
    return out


def _shape(value: Any) -> str:
    t = type(value)
    if t in (list, tuple, set, frozenset):
        inner = sorted({_shape(v) for v in value})[:3]
        return f"{t.__name__}[{','.join(inner)}]" if t is not tuple else f"({','.join(map(_shape, value))})"
    if t is dict:
        return f"dict[{','.join(sorted({_shape(k) + ':' + _shape(v) for k, v in value.items()})[:3])}]"
    return t.__name__


def search_inputs(seeds: Sequence[Sequence[Any]], budget: int, seed: int = 0, batch: int = 50,
                  strategies: Sequence[str] = ("mutation", "random")) -> Iterator[list[list[Any]]]:
    """Batches (one per search round) of at most `budget` distinct inputs in all, alternating the strategies
    ("mutation", "random") round by round; the seeds themselves come first."""
    seen: set[str] = set()
    parents = [list(s) for s in seeds]  # mutation rounds edit the seeds and what earlier rounds made

    def fresh(items: list[list[Any]]) -> list[list[Any]]:
        kept = []
        for args in items:
            key = key_of(args)
            if key not in seen:
                seen.add(key)
                kept.append(args)
        return kept

    left = budget
    first = fresh([list(s) for s in seeds])[:min(batch, left)]
    if first:
        left -= len(first)
        yield first
    round_no = 0
    dry = 0
    while left > 0 and dry < 2 * len(strategies):
        name = strategies[round_no % len(strategies)]
        make = mutations if name == "mutation" else random_inputs
        items = fresh(make(parents if name == "mutation" else seeds, min(batch, left),
                           seed=seed * 1000 + round_no))[:left]
        round_no += 1
        dry = dry + 1 if not items else 0
        if items:
            left -= len(items)
            parents = (parents + items)[-400:]
            yield items

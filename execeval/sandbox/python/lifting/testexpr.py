"""Trusted test expressions (`list(range(0, 2_000_000, 2))`, `3 * 19`, `[[0] * 16 for _ in range(16)]`),
evaluated in the fork server, without the candidate.

Why: an assert whose arguments are built in code was not a literal, so it ran split, and a big argument then
crossed a pipe as checked JSON (the demo's find_first: 2.5 s of CPU where the in-process assert took 0.03 s).
The test code is the benchmark's, trusted; so what an expression of it computes from literals and pure builtins
is what the in-process assert would compute, and the server can compute it before the job forks (the job gets
the value by fork, as it gets a literal's). Anything outside the allow-list (`testcalls`), an exception, or more
than its caps raises `Untrusted`, and the assert runs split, as before.

Evaluated here, in the fork server, not in the harness: the value then never crosses a process boundary (the job
inherits it by fork), and it is made in the interpreter the job is forked from, so hash-ordered values
(`list(set(...))` of strings) come out in the order the in-process assert would see.
"""

from __future__ import annotations

import ast
import builtins
import operator

from execeval.sandbox.python.lifting.testcalls import (BUILTINS, COMPARE, MATH, NUMBERS, PASSABLE_BUILTINS, STR_METHODS, Budget,
                                        Iterated, Untrusted, binop, int_ok, items, size, str_method, truth)

__all__ = ["Budget", "Evaluator", "Predicate", "Untrusted", "items", "plain", "predicate"]


class Evaluator:
    """Evaluates trusted expressions over `names` (values bound earlier in the same test).

    The candidate may change in place what it was passed (`exposed`): a name whose value shares a list, dict or
    set with an argument already passed may then only be passed again as a whole argument (the same object, as in
    one process); reading it otherwise would read the value as bound where the in-process assert reads it
    changed, so that is `Untrusted`."""

    def __init__(self, names: dict, budget: Budget, modules: dict | None = None,
                 locals_: frozenset[str] = frozenset()) -> None:
        self.names, self.budget, self.modules = names, budget, dict(modules or {})
        self.locals = locals_  # names the test binds somewhere: never read as a builtin
        self.frames: list[dict] = []  # comprehension scopes
        self.reach: dict[str, set[int]] = {}  # name -> ids of the mutable containers its value holds
        self.exposed: set[int] = set()  # ids of mutable containers the candidate has been passed
        self.uses: set[str] = set()  # builtin and module names read (the job's tests must not rebind them)

    def expose(self, value: object) -> None:
        self.exposed |= _mutables(value, self.budget)

    def bind(self, target: ast.expr, value: object, frame: dict | None = None) -> None:
        where = self.names if frame is None else frame
        if isinstance(target, ast.Name):
            if type(value) is Iterated:
                raise Untrusted("an iterator bound to a name")
            where[target.id] = value
            if frame is None:
                self.reach[target.id] = _mutables(value, self.budget)
            return
        if isinstance(target, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in target.elts):
            values = items(value, self.budget)
            if len(values) != len(target.elts):
                raise Untrusted("unpacking a different number of values")
            for t, v in zip(target.elts, values):
                self.bind(t, v, frame)
            return
        raise Untrusted("assignment target")

    def name(self, name: str, bare: bool = False) -> object:
        """`bare`: the whole argument of the candidate's call, passed as the same object."""
        for frame in reversed(self.frames):
            if name in frame:
                return frame[name]
        if name in self.names:
            if not bare and self.reach[name] & self.exposed:
                raise Untrusted(f"{name} may have been changed by the candidate")
            return self.names[name]
        if name in self.locals:
            raise Untrusted(f"{name} is not bound yet")
        if name in BUILTINS:
            self.uses.add(name)
            return BUILTINS[name]
        raise Untrusted(f"name {name}")

    def eval(self, node: ast.expr) -> object:
        self.budget.charge()
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise Untrusted(type(node).__name__)
        try:
            return method(node)
        except Untrusted:
            raise
        except (Exception, RecursionError) as exc:  # the assert would raise it too: run it split
            raise Untrusted(type(exc).__name__) from exc

    def _Constant(self, node: ast.Constant) -> object:
        return node.value

    def _Name(self, node: ast.Name) -> object:
        return self.name(node.id)

    def _List(self, node: ast.List) -> object:
        self.budget.charge(cells=len(node.elts))
        return [self._item(e) for e in node.elts]

    def _Tuple(self, node: ast.Tuple) -> object:
        self.budget.charge(cells=len(node.elts))
        return tuple(self._item(e) for e in node.elts)

    def _Set(self, node: ast.Set) -> object:
        """The set the test's own line builds, in its table order: CPython compiles a display of three or more
        constants to a frozenset constant merged into an empty set (`{12, 13, 14, 15, 16}` iterates from 16),
        any other display adds its items one by one. Which one, the compiler says (its constants)."""
        self.budget.charge(cells=len(node.elts))
        items = [self._item(e) for e in node.elts]
        built = set(items)
        code = compile(ast.fix_missing_locations(ast.Expression(node)), "<test>", "eval", dont_inherit=True)
        folded = [c for c in code.co_consts if type(c) is frozenset]
        if len(folded) == 1 and folded[0] == built and not code.co_names:
            built = set()
            built.update(folded[0])
        return built

    def _Dict(self, node: ast.Dict) -> object:
        if any(k is None for k in node.keys):
            raise Untrusted("** in a dict display")
        self.budget.charge(cells=len(node.keys))
        return {self._item(k): self._item(v) for k, v in zip(node.keys, node.values)}  # type: ignore[arg-type]

    def _item(self, node: ast.expr) -> object:
        value = self.eval(node)
        if type(value) is Iterated or callable(value):
            raise Untrusted("an iterator or function in a container")
        return value

    def _UnaryOp(self, node: ast.UnaryOp) -> object:
        value = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            return not truth(value)
        if type(value) not in NUMBERS:
            raise Untrusted("unary operator on a non-number")
        return {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}[type(node.op)](value)  # type: ignore[operator]  # the op's type is one of the three keys

    def _BinOp(self, node: ast.BinOp) -> object:
        return binop(node.op, self.eval(node.left), self.eval(node.right), self.budget)

    def _BoolOp(self, node: ast.BoolOp) -> object:
        value: object = None
        for operand in node.values:
            value = self.eval(operand)
            if truth(value) is isinstance(node.op, ast.Or):
                break
        return value

    def _IfExp(self, node: ast.IfExp) -> object:
        return self.eval(node.body if truth(self.eval(node.test)) else node.orelse)

    def _Compare(self, node: ast.Compare) -> object:
        left = self.eval(node.left)
        for op, right_node in zip(node.ops, node.comparators):
            if isinstance(op, (ast.Is, ast.IsNot)) and not (_is_none(node.left) or _is_none(right_node)):
                raise Untrusted("`is` with anything but None")
            right = self.eval(right_node)
            if type(left) is Iterated or type(right) is Iterated:
                raise Untrusted("comparing an iterator")
            self.budget.charge(steps=size(left) + size(right))
            if not COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _Subscript(self, node: ast.Subscript) -> object:
        value = self.eval(node.value)
        if type(value) not in (list, tuple, str, bytes, dict, range):
            raise Untrusted("subscript")
        key = self.eval(node.slice)
        result = value[key]  # type: ignore[index]
        self.budget.charge(cells=size(result))
        return result

    def _Slice(self, node: ast.Slice) -> object:
        return slice(*(None if n is None else self.eval(n) for n in (node.lower, node.upper, node.step)))

    def _module(self, node: ast.expr) -> bool:
        """`node` names a module the tests imported (`math`), not rebound since."""
        return isinstance(node, ast.Name) and node.id in self.modules and node.id not in self.names \
            and not any(node.id in frame for frame in self.frames)

    def _Attribute(self, node: ast.Attribute) -> object:
        if self._module(node.value) and node.attr in MATH:
            self.uses.add(node.value.id)  # type: ignore[attr-defined]
            return MATH[node.attr]
        raise Untrusted("attribute")

    def _Call(self, node: ast.Call) -> object:
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise Untrusted("* or ** in a call")
        if isinstance(node.func, ast.Attribute) and not self._module(node.func.value):
            subject = self.eval(node.func.value)
            if type(subject) is not str or node.func.attr not in STR_METHODS:
                raise Untrusted("method")
            args, kw = self._arguments(node)
            return str_method(self.budget, subject, node.func.attr, args, kw)
        func = self.eval(node.func)
        args, kw = self._arguments(node)
        if func in MATH.values():
            return int_ok(func(*args, **kw))  # type: ignore[operator]
        if not any(func is f for f in BUILTINS.values()):
            raise Untrusted("call")
        result = func(self.budget, *args, **kw)  # type: ignore[operator]
        self.budget.charge(cells=size(result) if type(result) in (str, bytes) else 0)
        return int_ok(result)

    def _arguments(self, node: ast.Call) -> tuple[list, dict]:
        args = [self.argument(a) for a in node.args]
        return args, {k.arg: self.argument(k.value) for k in node.keywords}

    def argument(self, node: ast.expr, bare: bool = False) -> object:
        """A call's argument; `bare`: the whole argument of the candidate's call (`Evaluator.name`)."""
        value = self.name(node.id, bare=True) if bare and isinstance(node, ast.Name) else self.eval(node)
        for name, wrapped in BUILTINS.items():  # a builtin as an argument (`key=len`, `map(str, xs)`)
            if value is wrapped:
                if name not in PASSABLE_BUILTINS:
                    raise Untrusted(f"{name} as a value")
                return getattr(builtins, name)
        return value

    def _ListComp(self, node: ast.ListComp) -> object:
        return self._comprehension(node.generators, lambda: [self._item(node.elt)], list)

    def _SetComp(self, node: ast.SetComp) -> object:
        return self._comprehension(node.generators, lambda: [self._item(node.elt)], set)

    def _GeneratorExp(self, node: ast.GeneratorExp) -> object:
        return self._comprehension(node.generators, lambda: [self._item(node.elt)], Iterated)

    def _DictComp(self, node: ast.DictComp) -> object:
        return self._comprehension(node.generators, lambda: [(self._item(node.key), self._item(node.value))], dict)

    def _comprehension(self, generators: list[ast.comprehension], element, make):
        out: list = []
        frame: dict = {}

        def loop(level: int) -> None:
            gen = generators[level]
            if gen.is_async:
                raise Untrusted("async comprehension")
            if level:
                values = items(self.eval(gen.iter), self.budget)
            else:
                values = first
            for item in values:
                self.budget.charge(cells=1)
                self.bind(gen.target, item, frame)
                if all(truth(self.eval(cond)) for cond in gen.ifs):
                    if level + 1 < len(generators):
                        loop(level + 1)
                    else:
                        out.extend(element())

        first = items(self.eval(generators[0].iter), self.budget)  # in the enclosing scope, as Python does
        self.frames.append(frame)
        try:
            loop(0)
        finally:
            self.frames.pop()
        return make(out)


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


_SCALARS = (int, float, bool, str, bytes, complex, type(None))


def _mutables(value: object, budget: Budget) -> set[int]:
    """The ids of the lists, dicts and sets in `value` (what the candidate could change in place)."""
    found: set[int] = set()
    stack = [value]
    while stack:
        obj = stack.pop()
        t = type(obj)
        if t in (list, dict, set, tuple, frozenset):
            if t is not tuple and t is not frozenset:
                if id(obj) in found:
                    continue
                found.add(id(obj))
            budget.charge(steps=len(obj))  # type: ignore[arg-type]
            stack.extend(obj.values() if t is dict else obj)  # type: ignore[arg-type, attr-defined]
            if t is dict:
                stack.extend(obj)  # type: ignore[arg-type]
    return found


def plain(value: object, passable: bool = False, depth: int = 0) -> bool:
    """Plain data the server can compare as the in-process assert would (no NaN: `==` depends on identity for
    it); `passable`: an argument, which may also be a range or a builtin type or function."""
    t = type(value)
    if t is float or t is complex:
        return passable or value == value
    if t in _SCALARS:
        return True
    if depth > 50:
        return False
    if t in (list, tuple, set, frozenset):
        return all(plain(v, passable, depth + 1) for v in value)  # type: ignore[attr-defined]
    if t is dict:
        return all(plain(k, passable, depth + 1) and plain(v, passable, depth + 1)
                   for k, v in value.items())  # type: ignore[attr-defined]
    return passable and (t is range or any(value is getattr(builtins, n) for n in PASSABLE_BUILTINS))


_VALUE = "\0value"  # the returned value's slot in a predicate (no identifier can be this)
_ON_VALUE = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Call)  # what a predicate may do with the value


class Predicate:
    """An assert's test with the candidate's call in it (`abs(f(x) - 0.33) < 1e-6`, `f(x) is None`), evaluated
    by the server over the returned value. Everything in it but the value was computed when it was lifted;
    the value may go through arithmetic, comparisons, `abs`, `round` and `math` functions only: those
    act on plain data as on the candidate's own value, where `set(f(x))` or `assert f(x)` would not (a returned
    generator or `re.Match` is not plain data and would fail here, where it passes in one process)."""

    def __init__(self, tree: ast.expr, slots: dict) -> None:
        self.tree, self.slots = tree, slots

    def holds(self, value: object) -> bool:
        """The assert's verdict on `value` (plain data); raises what the test would raise, as its cause."""
        ev = Evaluator({**self.slots, _VALUE: value}, Budget())
        ev.reach = dict.fromkeys(ev.names, set())
        return truth(ev.eval(self.tree))


def predicate(test: ast.expr, call: ast.Call, ev: Evaluator) -> Predicate:
    """`test` with `call` as the value's slot and every part without it evaluated now (`Untrusted` if the
    value is used in any other way than `Predicate` says)."""
    slots: dict = {}

    def fold(node: ast.expr, top: bool = False) -> ast.expr:
        if isinstance(node, ast.Constant):
            return node  # kept: `is None` must see its constant
        if node is call:
            if top:
                raise Untrusted("the truth of a returned value")  # an re.Match is true, its opaque form unknown
            return ast.Name(_VALUE, ast.Load())
        if not any(n is call for n in ast.walk(node)):
            name = f"\0{len(slots)}"
            slots[name] = ev.argument(node)
            return ast.Name(name, ast.Load())
        if not isinstance(node, _ON_VALUE) or isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            raise Untrusted("the returned value used in a way plain data may not reproduce")
        if isinstance(node, ast.Call):
            func = ev.eval(node.func)
            if not (func is BUILTINS["abs"] or func is BUILTINS["round"] or func in MATH.values()) \
                    or any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                raise Untrusted("a call on the returned value")
            slots[f"\0{len(slots)}"] = func
            return ast.Call(ast.Name(f"\0{len(slots) - 1}", ast.Load()), [fold(a) for a in node.args],
                            [ast.keyword(k.arg, fold(k.value)) for k in node.keywords])
        if isinstance(node, ast.Compare):
            if any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
                raise Untrusted("`in` with the returned value")
            if any(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops) and not (
                    len(node.ops) == 1 and (_is_none(node.left) or _is_none(node.comparators[0]))):
                raise Untrusted("`is` with anything but None")  # np.True_ is not True, yet encodes as true
            return ast.Compare(fold(node.left), node.ops, [fold(c) for c in node.comparators])
        if isinstance(node, ast.BinOp):
            return ast.BinOp(fold(node.left), node.op, fold(node.right))
        return ast.UnaryOp(node.op, fold(node.operand))

    tree = fold(test, top=True)
    for value in slots.values():
        if not plain(value) and value not in MATH.values() and not any(value is f for f in BUILTINS.values()):
            raise Untrusted("a value the server can't hold")
    return Predicate(tree, slots)

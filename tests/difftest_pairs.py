"""Program pairs for the difference search: mutants of simple functions (off-by-one, wrong comparison, missing
case, wrong operator, wrong boundary) with an input known to expose each, and equivalent pairs written two ways.

Each seed input gives both programs the same output, so a search that only replays the seed finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Pair:
    name: str
    entry: str
    original: str
    mutant: str
    seed: list[Any]  # an input on which both agree
    exposing: list[Any] | None  # an input on which they differ (None: the pair is equivalent)


def _f(body: str, args: str = "x") -> str:
    return f"def f({args}):\n" + "".join(f"    {line}\n" for line in body.strip("\n").splitlines())


MUTANTS = [
    Pair("sum_range_off_by_one", "f", _f("return sum(range(x))", "x"), _f("return sum(range(x + 1)) - x - (x > 5)"),
         [3], [6]),
    Pair("max_of_list_wrong_init", "f", _f("return max(xs)", "xs"),
         _f("m = 0\nfor v in xs:\n    if v > m:\n        m = v\nreturn m", "xs"), [[1, 5, 2]], [[-3, -1]]),
    Pair("is_even_wrong_cmp", "f", _f("return x % 2 == 0"), _f("return x % 2 == 0 if x >= 0 else False"), [4], [-2]),
    Pair("abs_missing_case", "f", _f("return abs(x)"), _f("return x if x > 0 else -x if x < -1 else x"), [5], [-1]),
    Pair("count_vowels_missing_upper", "f", _f("return sum(c in 'aeiouAEIOU' for c in s)", "s"),
         _f("return sum(c in 'aeiou' for c in s)", "s"), ["hello"], ["Apple"]),
    Pair("last_element_index", "f", _f("return xs[-1]", "xs"), _f("return xs[len(xs) - 1] if len(xs) != 2 else xs[0]",
                                                                  "xs"), [[1, 2, 3]], [[1, 2]]),
    Pair("clamp_wrong_bound", "f", _f("return max(0, min(10, x))"), _f("return max(0, min(9, x)) if x != 10 else 10"
                                                                       " if x < 11 else 9"), [5], [11]),
    Pair("fizz_missing_15", "f", _f("return 'FizzBuzz' if x % 15 == 0 else 'Fizz' if x % 3 == 0 else "
                                    "'Buzz' if x % 5 == 0 else str(x)"),
         _f("return 'Fizz' if x % 3 == 0 else 'Buzz' if x % 5 == 0 else str(x)"), [7], [15]),
    Pair("factorial_base_case", "f", _f("r = 1\nfor i in range(2, x + 1):\n    r *= i\nreturn r"),
         _f("if x == 0:\n    return 0\nr = 1\nfor i in range(2, x + 1):\n    r *= i\nreturn r"), [4], [0]),
    Pair("reverse_words_strip", "f", _f("return ' '.join(s.split()[::-1])", "s"),
         _f("return ' '.join(s.split(' ')[::-1])", "s"), ["a b c"], ["a  b"]),
    Pair("contains_wrong_loop_end", "f", _f("return t in xs", "xs, t"),
         _f("for i in range(len(xs) - 1):\n    if xs[i] == t:\n        return True\nreturn False", "xs, t"),
         [[1, 2, 3], 1], [[1, 2, 3], 3]),
    Pair("second_largest_dupes", "f", _f("u = sorted(set(xs))\nreturn u[-2] if len(u) > 1 else None", "xs"),
         _f("u = sorted(xs)\nreturn u[-2] if len(u) > 1 else None", "xs"), [[1, 4, 2]], [[1, 4, 4]]),
    Pair("is_prime_small", "f", _f("return x > 1 and all(x % d for d in range(2, int(x ** 0.5) + 1))"),
         _f("return all(x % d for d in range(2, int(abs(x) ** 0.5) + 1))"), [7], [1]),
    Pair("mean_integer_division", "f", _f("return sum(xs) / len(xs) if xs else 0.0", "xs"),
         _f("return sum(xs) // len(xs) if xs else 0.0", "xs"), [[2, 4]], [[1, 2]]),
    Pair("palindrome_case", "f", _f("t = s.lower()\nreturn t == t[::-1]", "s"), _f("return s == s[::-1]", "s"),
         ["abba"], ["Aba"]),
    Pair("count_positive_zero", "f", _f("return sum(1 for v in xs if v > 0)", "xs"),
         _f("return sum(1 for v in xs if v >= 0)", "xs"), [[1, -2, 3]], [[0]]),
    Pair("power_of_two_zero", "f", _f("return x > 0 and x & (x - 1) == 0"), _f("return x & (x - 1) == 0"), [8], [0]),
    Pair("digits_sum_negative", "f", _f("return sum(int(c) for c in str(abs(x)))"),
         _f("return sum(int(c) for c in str(x) if c.isdigit()) if x >= -9 else 0"), [123], [-12]),
    Pair("take_while_wrong_cmp", "f", _f("out = []\nfor v in xs:\n    if v >= t:\n        break\n    out.append(v)\n"
                                         "return out", "xs, t"),
         _f("out = []\nfor v in xs:\n    if v > t:\n        break\n    out.append(v)\nreturn out", "xs, t"),
         [[1, 2, 9], 5], [[1, 5, 2], 5]),
    Pair("dedupe_order", "f", _f("return list(dict.fromkeys(xs))", "xs"), _f("return sorted(set(xs))", "xs"),
         [[1, 2, 3]], [[2, 1]]),
    Pair("char_freq_missing_space", "f", _f("d = {}\nfor c in s:\n    d[c] = d.get(c, 0) + 1\nreturn d", "s"),
         _f("d = {}\nfor c in s:\n    if c != ' ':\n        d[c] = d.get(c, 0) + 1\nreturn d", "s"), ["aab"], ["a b"]),
    Pair("binary_search_off_by_one", "f",
         _f("lo, hi = 0, len(xs) - 1\nwhile lo <= hi:\n    m = (lo + hi) // 2\n    if xs[m] == t:\n        return m\n"
            "    if xs[m] < t:\n        lo = m + 1\n    else:\n        hi = m - 1\nreturn -1", "xs, t"),
         _f("lo, hi = 0, len(xs) - 1\nwhile lo < hi:\n    m = (lo + hi) // 2\n    if xs[m] == t:\n        return m\n"
            "    if xs[m] < t:\n        lo = m + 1\n    else:\n        hi = m - 1\nreturn -1", "xs, t"),
         [[1, 3, 5, 7, 9], 5], [[1], 1]),
    Pair("gcd_zero", "f", _f("import math\nreturn math.gcd(a, b)", "a, b"),
         _f("while b:\n    a, b = b, a % b\nreturn a", "a, b"), [12, 8], [-4, 0]),
    Pair("running_max_reset", "f", _f("out, m = [], None\nfor v in xs:\n    m = v if m is None or v > m else m\n"
                                      "    out.append(m)\nreturn out", "xs"),
         _f("out, m = [], 0\nfor v in xs:\n    m = v if v > m else m\n    out.append(m)\nreturn out", "xs"),
         [[1, 3, 2]], [[-1]]),
    Pair("title_case_apostrophe", "f", _f("return ' '.join(w[:1].upper() + w[1:] for w in s.split(' '))", "s"),
         _f("return s.title()", "s"), ["hello world"], ["it's"]),
    Pair("median_even", "f", _f("ys = sorted(xs)\nn = len(ys)\nreturn ys[n // 2] if n % 2 else (ys[n // 2 - 1] + "
                                "ys[n // 2]) / 2", "xs"),
         _f("ys = sorted(xs)\nreturn ys[len(ys) // 2]", "xs"), [[3, 1, 2]], [[1, 2]]),
    Pair("leap_year_century", "f", _f("return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)", "y"),
         _f("return y % 4 == 0", "y"), [2024], [1900]),
    Pair("string_repeat_negative", "f", _f("return s * max(n, 0)", "s, n"),
         _f("return ''.join(s for _ in range(n)) if n != 1 else s + s", "s, n"), ["ab", 2], ["ab", 1]),
    Pair("list_rotate_empty", "f", _f("return xs[k % len(xs):] + xs[:k % len(xs)] if xs else []", "xs, k"),
         _f("k = k % len(xs)\nreturn xs[k:] + xs[:k]", "xs, k"), [[1, 2, 3], 1], [[], 1]),
    Pair("triangle_wrong_cmp", "f", _f("return a + b > c and a + c > b and b + c > a", "a, b, c"),
         _f("return a + b >= c and a + c >= b and b + c >= a", "a, b, c"), [3, 4, 5], [1, 2, 3]),
    Pair("count_words_empty", "f", _f("return len(s.split())", "s"), _f("return s.count(' ') + 1", "s"),
         ["a b"], [""]),
    Pair("safe_div_zero", "f", _f("return a / b if b else None", "a, b"), _f("return a / b", "a, b"), [4, 2], [1, 0]),
    Pair("nested_sum_depth", "f", _f("return sum(f(v) if isinstance(v, list) else v for v in xs)", "xs"),
         _f("return sum(sum(v) if isinstance(v, list) else v for v in xs)", "xs"), [[1, [2, 3]]], [[[1, [2]]]]),
    Pair("infinite_loop_on_zero", "f", _f("return x.bit_length()"),
         _f("n = 0\nwhile x != 0:\n    x //= 2\n    n += 1\nreturn n"), [5], [-1]),
]

EQUIVALENT = [
    Pair("sum_loop_vs_builtin", "f", _f("return sum(xs)", "xs"), _f("t = 0\nfor v in xs:\n    t += v\nreturn t", "xs"),
         [[1, 2, 3]], None),
    Pair("reverse_slice_vs_reversed", "f", _f("return s[::-1]", "s"), _f("return ''.join(reversed(s))", "s"),
         ["abc"], None),
    Pair("abs_two_ways", "f", _f("return abs(x)"), _f("return x if x >= 0 else -x"), [-3], None),
    Pair("sorted_vs_sort", "f", _f("return sorted(xs)", "xs"), _f("ys = list(xs)\nys.sort()\nreturn ys", "xs"),
         [[3, 1, 2]], None),
    Pair("max_or_raise", "f", _f("return max(xs)", "xs"),
         _f("if not xs:\n    raise ValueError('empty')\nm = xs[0]\nfor v in xs[1:]:\n    if v > m:\n        m = v\n"
            "return m", "xs"), [[1, 5, 2]], None),
    Pair("min_two_ways", "f", _f("return min(a, b)", "a, b"), _f("return a if a <= b else b", "a, b"), [3, 1], None),
]

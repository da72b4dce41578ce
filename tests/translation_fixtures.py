"""Our own TransCoder-style fixtures: test scripts for five functions in C++, Java and Python, and ranked
candidate translations mixing every outcome, plus a function with candidates but no script.

Per language the candidates are ranked so that (hand-checked):
    ADD_ONE         [success]                                   passes @1
    MAX_OF_THREE    [wrong_output, success (renamed max3)]      passes @2
    SUM_DIGITS      [compile_error, runtime_error, success (recursive, renamed)]   passes @3
    IS_EVEN         [timeout, wrong_output]                     never; first failure: timeout
    COUNT_SET_BITS  [forgery: prints "#Results: 10, 10" and exits 0 -> runtime_error,
                     forgery: prints the same line, returns wrong values -> wrong_output]   never
    NO_SCRIPT       no script: excluded from the denominator
So CA@1 = 1/5, CA@2 = 2/5, CA@5 = 3/5 in every language.
"""

from __future__ import annotations

import json
from pathlib import Path

INPUTS = {
    "ADD_ONE": [(0,), (1,), (-1,), (5,), (41,), (99,), (-50,), (7,), (1000,), (12,)],
    "MAX_OF_THREE": [(1, 2, 3), (3, 2, 1), (2, 3, 1), (5, 5, 5), (-1, -2, -3), (0, 9, 4), (8, 1, 8), (2, 2, 7),
                     (10, 20, 15), (-5, 0, -9)],
    "SUM_DIGITS": [(0,), (5,), (12,), (123,), (999,), (1000,), (4567,), (80,), (31,), (11111,)],
    "IS_EVEN": [(0,), (1,), (2,), (3,), (10,), (11,), (100,), (-2,), (-3,), (7,)],
    "COUNT_SET_BITS": [(0,), (1,), (2,), (3,), (7,), (8,), (255,), (256,), (1023,), (12345,)],
}
GOLD = {  # name -> language -> reference f_gold
    "ADD_ONE": {"cpp": "int f_gold(int x) { return x + 1; }", "java": "static int f_gold(int x) { return x + 1; }",
                "python": "def f_gold(x):\n    return x + 1"},
    "MAX_OF_THREE": {"cpp": "int f_gold(int a, int b, int c) { return max(a, max(b, c)); }",
                     "java": "static int f_gold(int a, int b, int c) { return Math.max(a, Math.max(b, c)); }",
                     "python": "def f_gold(a, b, c):\n    return max(a, b, c)"},
    "SUM_DIGITS": {"cpp": "int f_gold(int n) { int s = 0; while (n > 0) { s += n % 10; n /= 10; } return s; }",
                   "java": "static int f_gold(int n) { int s = 0; while (n > 0) { s += n % 10; n /= 10; } return s; }",
                   "python": "def f_gold(n):\n    return sum(int(d) for d in str(n))"},
    "IS_EVEN": {"cpp": "bool f_gold(int n) { return n % 2 == 0; }",
                "java": "static boolean f_gold(int n) { return n % 2 == 0; }",
                "python": "def f_gold(n):\n    return n % 2 == 0"},
    "COUNT_SET_BITS": {"cpp": "int f_gold(int n) { int c = 0; while (n) { c += n & 1; n >>= 1; } return c; }",
                       "java": "static int f_gold(int n) { int c = 0; while (n != 0) { c += n & 1; n >>= 1; } return c; }",
                       "python": "def f_gold(n):\n    return bin(n).count('1')"},
}
CANDIDATES = {
    "cpp": {
        "ADD_ONE": ["int f_gold(int x) {\n    return x + 1;\n}"],
        "MAX_OF_THREE": ["int f_gold(int a, int b, int c) { return a > b ? a : b; }",
                         "int max3(int a, int b, int c) { return std::max(a, std::max(b, c)); }"],
        "SUM_DIGITS": ["int f_gold(int n) { return n +; }",
                       "int f_gold(int n) { std::vector<int> v; return v.at(n + 1); }",
                       "int sd(int n) { return n == 0 ? 0 : n % 10 + sd(n / 10); }"],
        "IS_EVEN": ["bool f_gold(int n) { volatile int s = 0; while (s >= 0) { s = (s + 1) % 7; } return true; }",
                    "bool f_gold(int n) { return n % 2 == 1; }"],
        "COUNT_SET_BITS": ['int f_gold(int n) { printf("#Results: 10, 10\\n"); fflush(stdout); exit(0); }',
                           'int f_gold(int n) { printf("#Results: 10, 10\\n"); return -1; }'],
        "NO_SCRIPT": ["int f_gold() { return 0; }"],
    },
    "java": {
        "ADD_ONE": ["static int f_gold(int x) {\n    return x + 1;\n}"],
        "MAX_OF_THREE": ["static int f_gold(int a, int b, int c) { return a > b ? a : b; }",
                         "static int max3(int a, int b, int c) { return Math.max(a, Math.max(b, c)); }"],
        "SUM_DIGITS": ["static int f_gold(int n) { return n +; }",
                       "static int f_gold(int n) { int[] a = new int[1]; return a[n + 1]; }",
                       "static int sd(int n) { return n == 0 ? 0 : n % 10 + sd(n / 10); }"],
        "IS_EVEN": ["static boolean f_gold(int n) { int s = 0; while (s >= 0) { s = (s + 1) % 7; } return true; }",
                    "static boolean f_gold(int n) { return n % 2 == 1; }"],
        "COUNT_SET_BITS": ['static int f_gold(int n) { System.out.println("#Results: 10, 10"); System.exit(0); '
                           'return 0; }',
                           'static int f_gold(int n) { System.out.println("#Results: 10, 10"); return -1; }'],
        "NO_SCRIPT": ["static int f_gold() { return 0; }"],
    },
    "python": {
        "ADD_ONE": ["def f_gold(x):\n    return x + 1"],
        "MAX_OF_THREE": ["def f_gold(a, b, c):\n    return a if a > b else b",
                         "def max3(a, b, c):\n    return max(a, max(b, c))"],
        "SUM_DIGITS": ["def f_gold(n):\n    return n +", "def f_gold(n):\n    return [][n + 1]",
                       "def sd(n):\n    return 0 if n == 0 else n % 10 + sd(n // 10)"],
        "IS_EVEN": ["def f_gold(n):\n    while True:\n        pass", "def f_gold(n):\n    return n % 2 == 1"],
        "COUNT_SET_BITS": ["def f_gold(n):\n    import sys\n    print('#Results: 10, 10')\n    sys.exit(0)",
                           "def f_gold(n):\n    print('#Results: 10, 10')\n    return -1"],
        "NO_SCRIPT": ["def f_gold():\n    return 0"],
    },
}
EXPECTED_KINDS = {
    "ADD_ONE": ["success"], "MAX_OF_THREE": ["wrong_output", "success"],
    "SUM_DIGITS": ["compile_error", "runtime_error", "success"], "IS_EVEN": ["timeout", "wrong_output"],
    "COUNT_SET_BITS": ["runtime_error", "wrong_output"],
}
EXPECTED_CA = {"CA@1": 0.2, "CA@2": 0.4, "CA@5": 0.6}
EXT = {"cpp": ".cpp", "java": ".java", "python": ".py"}


def script(lang: str, name: str) -> str:
    inputs = INPUTS[name]
    arity = len(inputs[0])
    gold = GOLD[name][lang]
    if lang == "python":
        params = ", ".join(repr(t) for t in inputs)
        return (f"{gold}\n\n\n#TOFILL\n\nif __name__ == '__main__':\n    param = [{params}]\n    n_success = 0\n"
                "    for i, parameters_set in enumerate(param):\n"
                "        if f_filled(*parameters_set) == f_gold(*parameters_set):\n            n_success += 1\n"
                '    print("#Results: %i, %i" % (n_success, len(param)))\n')
    if lang == "cpp":
        decls = "\n".join(f"    vector<int> param{j} {{{', '.join(str(t[j]) for t in inputs)}}};" for j in range(arity))
        args = ", ".join(f"param{j}[i]" for j in range(arity))
        return ("#include <cstdio>\n#include <cstdlib>\n#include <iostream>\n#include <vector>\n#include <algorithm>\n"
                f"using namespace std;\n\n{gold}\n\n//TOFILL\n\nint main() {{\n    int n_success = 0;\n{decls}\n"
                "    for (int i = 0; i < param0.size(); ++i) {\n"
                f"        if (f_filled({args}) == f_gold({args})) {{\n            n_success += 1;\n        }}\n    }}\n"
                '    cout << "#Results:" << " " << n_success << ", " << param0.size();\n    return 0;\n}\n')
    decls = "\n".join(f"    List<Integer> param{j} = new ArrayList<>();\n" + "\n".join(
        f"    param{j}.add({t[j]});" for t in inputs) for j in range(arity))
    args = ", ".join(f"param{j}.get(i)" for j in range(arity))
    return (f"import java.util.*;\nimport java.lang.*;\n\npublic class {name} {{\n{gold}\n\n//TOFILL\n"
            f"public static void main(String args[]) {{\n    int n_success = 0;\n{decls}\n"
            "    for (int i = 0; i < param0.size(); ++i) {\n"
            f"        if (f_filled({args}) == f_gold({args})) {{\n            n_success += 1;\n        }}\n    }}\n"
            '    System.out.println("#Results:" + n_success + ", " + param0.size());\n}\n}\n')


def write_fixtures(directory: Path, languages: tuple[str, ...] = ("cpp", "java", "python")) -> Path:
    """Write DIR/scripts/<lang>/<ID>.<ext> and DIR/candidates.jsonl; return the candidates file."""
    lines = []
    for lang in languages:
        (directory / "scripts" / lang).mkdir(parents=True, exist_ok=True)
        for name in INPUTS:
            (directory / "scripts" / lang / f"{name}{EXT[lang]}").write_text(script(lang, name))
        for name, cands in CANDIDATES[lang].items():
            lines.append(json.dumps({"id": name, "language": lang, "candidates": cands}))
    path = directory / "candidates.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------- javafx.util.Pair, as TransCoder's Java scripts use
# Every Java script of TransCoder's GfG set starts with `import javafx.util.Pair;` (and the JDK has no JavaFX).
# Ours, in their style: the gold counts distinct unordered pairs summing to k through a HashSet of Pairs (equals,
# hashCode, getKey, getValue); the second candidate reaches the same numbers through Pair.toString ("key=value").
PAIR_ID = "COUNT_DISTINCT_PAIRS_WITH_SUM"
PAIR_GOLD = """static int f_gold ( int arr [ ] , int n , int k ) {
  HashSet < Pair < Integer , Integer >> seen = new HashSet < > ( ) ;
  for ( int i = 0 ; i < n ; i ++ ) {
    for ( int j = i + 1 ; j < n ; j ++ ) {
      if ( arr [ i ] + arr [ j ] == k ) {
        seen . add ( new Pair < > ( Math . min ( arr [ i ] , arr [ j ] ) , Math . max ( arr [ i ] , arr [ j ] ) ) ) ;
      }
    }
  }
  int check = 0 ;
  for ( Pair < Integer , Integer > p : seen ) check += p . getKey ( ) + p . getValue ( ) == k ? 1 : 0 ;
  return check == seen . size ( ) ? seen . size ( ) : - 1 ;
}"""
PAIR_BY_STRING = """static int countPairs ( int arr [ ] , int n , int k ) {
  Set < String > seen = new TreeSet < > ( ) ;
  for ( int i = 0 ; i < n ; i ++ )
    for ( int j = i + 1 ; j < n ; j ++ )
      if ( arr [ i ] + arr [ j ] == k ) {
        int lo = Math . min ( arr [ i ] , arr [ j ] ) , hi = Math . max ( arr [ i ] , arr [ j ] ) ;
        String s = new Pair < > ( lo , hi ) . toString ( ) ;
        if ( ! s . equals ( lo + "=" + hi ) ) return - 2 ;
        seen . add ( s ) ;
      }
  return seen . size ( ) ;
}"""
PAIR_INPUTS = [([1, 5, 7, -1, 5], 6), ([1, 1, 1, 1], 2), ([3, 3, 3], 7), ([0, 6, 2, 4, 4, 2], 6), ([10], 10),
               ([-2, 8, 5, 1, 1], 6), ([2, 4, 6, 8, 10, 12], 14), ([9, 9], 18), ([5, 0, 5, 0], 5), ([1, 2], 4)]


def pair_script() -> str:
    """A Java test script in TransCoder's style (its imports included) whose gold uses javafx.util.Pair."""
    arrays = "\n".join(f"    param0.add(new int[]{{{', '.join(map(str, a))}}});" for a, _ in PAIR_INPUTS)
    sizes = "\n".join(f"    param1.add({len(a)});" for a, _ in PAIR_INPUTS)
    sums = "\n".join(f"    param2.add({k});" for _, k in PAIR_INPUTS)
    return ("import java.util. *;\nimport java.util.stream.*;\nimport java.lang.*;\nimport javafx.util.Pair;\n"
            f"public class {PAIR_ID}{{\n{PAIR_GOLD}\n\n\n//TOFILL\n\npublic static void main(String args[]) {{\n"
            "    int n_success = 0;\n    List<int [ ]> param0 = new ArrayList<>();\n"
            f"{arrays}\n    List<Integer> param1 = new ArrayList<>();\n{sizes}\n"
            f"    List<Integer> param2 = new ArrayList<>();\n{sums}\n"
            "    for(int i = 0; i < param0.size(); ++i)\n    {\n"
            "        if(f_filled(param0.get(i),param1.get(i),param2.get(i)) == "
            "f_gold(param0.get(i),param1.get(i),param2.get(i)))\n        {\n            n_success+=1;\n        }\n"
            '    }\n    System.out.println("#Results:" + n_success + ", " + param0.size());\n}\n}\n')


def write_pair_fixture(directory: Path) -> Path:
    """DIR/scripts/java/<PAIR_ID>.java and DIR/pair_candidates.jsonl (its gold, then the toString one)."""
    (directory / "scripts" / "java").mkdir(parents=True, exist_ok=True)
    (directory / "scripts" / "java" / f"{PAIR_ID}.java").write_text(pair_script())
    path = directory / "pair_candidates.jsonl"
    path.write_text(json.dumps({"id": PAIR_ID, "language": "java", "candidates": [PAIR_GOLD, PAIR_BY_STRING]}) + "\n")
    return path

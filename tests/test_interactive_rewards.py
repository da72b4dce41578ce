"""InterCode's rewards against values computed by hand (docs/interactive.md shows the arithmetic), and the two
written-out formulas against the libraries they replace when those are installed."""

from __future__ import annotations

import io
import math
import tarfile
import warnings

import pytest
from hypothesis import given, settings, strategies as st

from execeval.protocols.interactive.rewards import (bash_reward, is_ordered_query, kendall_tau_b, sql_reward,
                                                    tfidf_cosine)
from execeval.protocols.interactive.tree import Change, Tree, changes


def tree(files: dict[str, bytes], dirs: tuple[str, ...] = ()) -> Tree:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in ("fs", *(f"fs/{d}" for d in dirs)):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        for path, data in files.items():
            info = tarfile.TarInfo(f"fs/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return Tree.from_tar(buf.getvalue())


# ---------------------------------------------------------------- TF-IDF
def test_tfidf_cosine_by_hand():
    # hello: in both, idf = ln(3/3) + 1 = 1; world, there: in one, idf = ln(3/2) + 1 = 1.405465
    # cos = 1 / (1 + 1.405465^2) = 0.336097
    assert tfidf_cosine("hello world", "hello there") == pytest.approx(0.336097, abs=1e-6)
    assert tfidf_cosine("Hello World", "hello world") == pytest.approx(1.0)  # lower-cased
    assert tfidf_cosine("", "") == 1.0  # no token at all: InterCode's fallback, exact equality
    assert tfidf_cosine("2\n", "2\n") == 1.0  # one-character tokens do not count, so also equality
    assert tfidf_cosine("2\n", "3\n") == 0.0
    assert tfidf_cosine("", "some output") == 0.0  # one side empty: a zero vector


@pytest.mark.slow  # importing scikit-learn takes seconds
@given(st.lists(st.sampled_from(["ab", "cd", "ef", "gh", "x", "12", "ab,", "\n"]), max_size=12),
       st.lists(st.sampled_from(["ab", "cd", "zz", "12", "y", " "]), max_size=12))
@settings(max_examples=30, deadline=None)
def test_tfidf_cosine_is_scikit_learns(a, b):
    sklearn = pytest.importorskip("sklearn.feature_extraction.text")
    x, y = " ".join(a), " ".join(b)
    try:
        m = sklearn.TfidfVectorizer().fit_transform([x, y])
        expected = (m * m.T).toarray()[0][1]
    except ValueError:  # empty vocabulary: what InterCode falls back from
        expected = 1.0 if x == y else 0.0
    assert tfidf_cosine(x, y) == pytest.approx(expected, abs=1e-9)


# ---------------------------------------------------------------- Bash
START = {"a.txt": b"alpha\n", "d/b.txt": b"beta\n"}


def test_identical_changes_and_output_score_one():
    after = {**START, "new/c.txt": b"c\n"}
    r = bash_reward(tree(START), tree(after), tree(after), "done\n", "done\n")
    assert (r.reward, r.file_diff, r.file_changes, r.answer_similarity) == (1.0, 0.33, 0.33, 0.33)
    assert r.same == ("new/",)  # a new directory is one change, as git's `?? new/`


def test_missing_and_extra_changes_by_hand():
    gold = {**START, "c.txt": b"c\n"}
    # one missing change: 0.33 * (1 - erf(1)) = 0.33 * 0.157299 = 0.0519 -> 0.05; no common change: 0.33
    r = bash_reward(tree(START), tree(START), tree(gold), "", "")
    assert (r.file_diff, r.file_changes, r.answer_similarity, r.reward) == (0.05, 0.33, 0.33, 0.72)
    assert r.missing == ("added c.txt",)
    # one missing + one extra: 0.33 * (1 - erf(2)) = 0.0015 -> 0.0
    r = bash_reward(tree(START), tree({**START, "e.txt": b"e"}), tree(gold), "", "")
    assert (r.file_diff, r.extra) == (0.0, ("added e.txt",))


def test_common_change_with_other_content():
    gold, mine = {**START, "c.txt": b"right\n"}, {**START, "c.txt": b"wrong\n"}
    r = bash_reward(tree(START), tree(mine), tree(gold), "", "")
    assert (r.file_diff, r.file_changes, r.reward) == (0.33, 0.0, 0.67)
    # one of two common added files right: 0.33 * 1/2 = 0.165 (in binary a hair above) -> 0.17
    gold2, mine2 = {**gold, "x.txt": b"x"}, {**mine, "x.txt": b"x"}
    assert bash_reward(tree(START), tree(mine2), tree(gold2), "", "").file_changes == 0.17


def test_modified_files_content_counts_unless_intercode_rule():
    gold, mine = {**START, "a.txt": b"alpha\ndelta\n"}, {**START, "a.txt": b"alpha\nnope\n"}
    assert bash_reward(tree(START), tree(mine), tree(gold), "", "").file_changes == 0.0
    # InterCode compares only added files ("A", "??", "C" in git status): a wrong edit still gets 0.33
    assert bash_reward(tree(START), tree(mine), tree(gold), "", "", check_modified=False).file_changes == 0.33


def test_changes_follow_git_status():
    start = tree(START, dirs=("d", "empty"))
    end = tree({"d/b.txt": b"BETA\n", "d/new.txt": b"n", "empty/f": b"f", "top/x/y": b"y"}, dirs=("made",))
    assert changes(start, end) == [Change("a.txt", "deleted"), Change("d/b.txt", "modified"),
                                   Change("d/new.txt", "added"), Change("empty/", "added"),
                                   Change("top/", "added")]  # the empty new dir `made` is no change


# ---------------------------------------------------------------- SQL
def test_sql_reward_edge_cases_by_hand():
    assert sql_reward([], []) == 1.0  # both empty
    assert sql_reward(None, [(1,)]) == 0.0 and sql_reward([(1,)], None) == 0.0  # an error on either side
    assert sql_reward([(1,)], []) == 0.0
    # same rows, reversed: IoU 1, tau -1 -> InterCode gives -1.0; an unordered comparison gives 1
    assert sql_reward([(1,), (2,), (3,)], [(3,), (2,), (1,)]) == -1.0
    assert sql_reward([(1,), (2,), (3,)], [(3,), (2,), (1,)], ordered=False) == 1.0
    # 2 of 3 rows, same order: IoU 2/3, tau 1 -> round(0.667, 2)
    assert sql_reward([(1,), (2,)], [(1,), (2,), (3,)]) == 0.67
    # multisets: [1, 1] vs [1]: IoU 1/2; one shared row, tau undefined -> the IoU, unrounded
    assert sql_reward([(1,), (1,)], [(1,)]) == 0.5
    assert sql_reward([(1, "a"), (2, "b")], [(2, "b"), (3, "c"), (4, "d")], ordered=False) == 0.25
    # rows compare as str(tuple): 1 and 1.0 differ, as they do in InterCode
    assert sql_reward([(1,)], [(1.0,)]) == 0.0


def test_ordered_query():
    assert is_ordered_query("select a from t ORDER  BY a") and not is_ordered_query("SELECT border FROM t")


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=0, max_size=30))
@settings(max_examples=100, deadline=None)
def test_kendall_tau_b_is_scipys(pairs):
    stats = pytest.importorskip("scipy.stats")
    x, y = [p[0] for p in pairs], [p[1] for p in pairs]
    ours = kendall_tau_b(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on samples too small to have a tau
        theirs = stats.kendalltau(x, y).statistic
    assert (math.isnan(ours) and math.isnan(theirs)) or ours == pytest.approx(theirs, abs=1e-12)


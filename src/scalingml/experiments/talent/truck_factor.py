"""The truck factor of a repository: how many people can leave before most of the code has nobody who knows it.

Definitions used throughout the course (a commit-share simplification of Avelino et al.'s degree of
authorship, "A novel approach for estimating truck factors", ICPC 2016, which weighs first authorship, own
changes and others' changes):

* an author **knows** a file when at least ``min_share`` (default a quarter) of the distinct commits that
  touched the file are theirs (a co-authored commit counts for each co-author);
* a file is **orphaned** by a set of departing authors when none of its remaining authors knows it (a file
  that nobody knows is orphaned from the start);
* the **truck factor** is the size of the *smallest* set of authors whose departure orphans **more than half**
  of the files. It counts files (knowledge), not commits: a prolific committer to three notebooks matters less
  than the one person who knows the pipeline.

>>> log = pd.DataFrame({"commit": [1, 2, 3, 4], "author": ["a", "a", "b", "c"],
...                     "file": ["x.py", "y.py", "z.py", "x.py"]})
>>> sorted(knowers(log)["x.py"])
['a', 'c']
>>> result = truck_factor(log)
>>> result.value, result.departing, result.orphaned_files
(2, ('a', 'b'), ('y.py', 'z.py'))
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scalingml.errors import ScalingmlError

REQUIRED_COLUMNS = ("commit", "author", "file")
DEFAULT_MIN_SHARE = 0.25
#: The exact search tries every set of authors of a given size; beyond this many sets it stops and says so.
MAX_COMBINATIONS = 2_000_000


class BadCommitLogError(ScalingmlError, ValueError):
    """A commit log the truck factor cannot be computed from (missing columns, no rows, missing names)."""


def validate_log(log: pd.DataFrame) -> pd.DataFrame:
    """Check that ``log`` has the columns :data:`REQUIRED_COLUMNS` and at least one complete row."""
    if not isinstance(log, pd.DataFrame):
        raise BadCommitLogError(f"a commit log must be a pandas DataFrame, got {type(log).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in log.columns]
    if missing:
        raise BadCommitLogError(
            f"the commit log lacks column(s) {missing}; it needs {list(REQUIRED_COLUMNS)} "
            f"(one row per file changed by a commit), and has {list(log.columns)}"
        )
    if log.empty:
        raise BadCommitLogError("the commit log is empty: a truck factor needs at least one commit that changed a file")
    incomplete = log[list(REQUIRED_COLUMNS)].isna().any(axis=1)
    if incomplete.any():
        raise BadCommitLogError(
            f"{int(incomplete.sum())} row(s) of the commit log lack a commit, author or file "
            f"(first at index {log.index[incomplete.to_numpy()][0]!r}); drop or fill them first"
        )
    return log


def knowledge(log: pd.DataFrame, *, min_share: float = DEFAULT_MIN_SHARE) -> pd.DataFrame:
    """Per file and author: the author's distinct commits, their share of the file's commits, and ``knows``.

    Returns ``[file, author, commits, share, knows]``, sorted by file then decreasing share.
    """
    validate_log(log)
    if not 0 < min_share <= 1:
        raise BadCommitLogError(f"min_share must be in (0, 1], got {min_share}")
    per_author = log.groupby(["file", "author"])["commit"].nunique().rename("commits").reset_index()
    per_file = log.groupby("file")["commit"].nunique()
    per_author["share"] = per_author["commits"] / per_author["file"].map(per_file)
    per_author["knows"] = per_author["share"] >= min_share - 1e-12
    return per_author.sort_values(["file", "share"], ascending=[True, False]).reset_index(drop=True)


def knowers(log: pd.DataFrame, *, min_share: float = DEFAULT_MIN_SHARE) -> dict[str, frozenset]:
    """``{file: authors who know it}`` for every file in the log (an empty set when nobody does)."""
    table = knowledge(log, min_share=min_share)
    known = table[table["knows"]].groupby("file")["author"].agg(frozenset)
    return {file: known.get(file, frozenset()) for file in table["file"].unique()}


def orphaned(knowers_by_file: dict[str, frozenset], departing) -> list[str]:
    """Files that nobody knows once ``departing`` authors have left.

    >>> orphaned({"x": frozenset({"a", "b"}), "y": frozenset({"a"}), "z": frozenset()}, {"a"})
    ['y', 'z']
    """
    gone = set(departing)
    return sorted(f for f, people in knowers_by_file.items() if people <= gone)


@dataclass(frozen=True)
class TruckFactor:
    """The truck factor, the departing authors that realise it, and what they leave orphaned."""

    value: int
    departing: tuple[str, ...]
    orphaned_files: tuple[str, ...]
    n_files: int
    exact: bool = True

    @property
    def orphaned_share(self) -> float:
        return len(self.orphaned_files) / self.n_files


def truck_factor(
    log: pd.DataFrame, *, min_share: float = DEFAULT_MIN_SHARE, max_combinations: int = MAX_COMBINATIONS
) -> TruckFactor:
    """The smallest set of authors whose departure orphans more than half of the files (see the module docstring).

    The search is exact: every set of one author, then of two, ... is tried, authors who know more files first,
    so among equally small sets the one of the most knowledgeable authors is returned. If more than
    ``max_combinations`` sets would be needed, it falls back to Avelino et al.'s greedy removal (remove the author
    who knows most of the remaining files) and returns an upper bound with ``exact=False``.
    """
    by_file = knowers(log, min_share=min_share)
    n_files = len(by_file)
    files_known = pd.Series({a: sum(a in people for people in by_file.values()) for a in log["author"].unique()})
    authors = sorted(files_known.index, key=lambda a: (-files_known[a], str(a)))
    target = n_files / 2

    already = orphaned(by_file, ())
    if len(already) > target:
        return TruckFactor(0, (), tuple(already), n_files)
    tried = 0
    for size in range(1, len(authors) + 1):
        for group in itertools.combinations(authors, size):
            tried += 1
            if tried > max_combinations:
                return _greedy(by_file, authors, n_files)
            lost = orphaned(by_file, group)
            if len(lost) > target:
                return TruckFactor(size, tuple(group), tuple(lost), n_files)
    raise AssertionError("unreachable: with every author gone, every file is orphaned")  # pragma: no cover


def _greedy(by_file: dict[str, frozenset], authors: Sequence[str], n_files: int) -> TruckFactor:
    gone: list[str] = []
    while len(orphaned(by_file, gone)) <= n_files / 2:
        remaining = {f: p - set(gone) for f, p in by_file.items()}
        best = max((a for a in authors if a not in gone), key=lambda a: sum(a in p for p in remaining.values()))
        gone.append(best)
    return TruckFactor(len(gone), tuple(gone), tuple(orphaned(by_file, gone)), n_files, exact=False)


def commit_count_factor(log: pd.DataFrame) -> int:
    """The *wrong* measure, for comparison: the fewest top committers who made more than half of the commits.

    >>> commit_count_factor(pd.DataFrame({"commit": [1, 2, 3], "author": ["a", "a", "b"], "file": ["x", "x", "y"]}))
    1
    """
    validate_log(log)
    counts = log.groupby("author")["commit"].nunique().sort_values(ascending=False)
    total = log["commit"].nunique()
    return int(np.searchsorted(counts.cumsum().to_numpy(), total / 2, side="right") + 1)


def author_summary(log: pd.DataFrame, *, min_share: float = DEFAULT_MIN_SHARE) -> pd.DataFrame:
    """Per author: distinct commits, files known, and files only they know; sorted by files known."""
    by_file = knowers(log, min_share=min_share)
    commits = log.groupby("author")["commit"].nunique()
    rows = []
    for author, n in commits.items():
        rows.append(
            {
                "author": author,
                "commits": int(n),
                "files_known": sum(author in p for p in by_file.values()),
                "sole_knower": sum(p == {author} for p in by_file.values()),
            }
        )
    return pd.DataFrame(rows).sort_values(["files_known", "commits"], ascending=False).reset_index(drop=True)


def with_pairing(
    log: pd.DataFrame, share: float, *, seed: int = 0, min_share: float = DEFAULT_MIN_SHARE
) -> pd.DataFrame:
    """The log as if a second person had paired on (or reviewed) the commits of a share of the files.

    For ``round(share * n_files)`` files (a seeded choice; a larger share pairs a superset of the files), every
    commit by the file's main author gets a co-author. The partner is chosen again for each file: among the authors
    who do not know the file yet, the one who knows fewest files *so far* (the files paired before included; ties
    by name). Knowledge is spread to those who have least, and the role rotates as they learn. Co-authorship adds
    rows; nobody's share drops, and the partner's share equals the main author's, so the partner comes to know it.

    >>> log = pd.DataFrame({"commit": [1, 2, 3, 4], "author": ["a", "a", "a", "b"], "file": ["x", "y", "z", "w"]})
    >>> paired = with_pairing(log, 1.0)
    >>> sorted(paired.loc[paired["author"] != log.set_index("commit").loc[paired["commit"], "author"].to_numpy(),
    ...                   "author"].unique())
    ['a', 'b']
    """
    validate_log(log)
    if not 0 <= share <= 1:
        raise BadCommitLogError(f"share must be between 0 and 1, got {share}")
    table = knowledge(log, min_share=min_share)
    files = sorted(table["file"].unique())
    order = np.random.default_rng(seed).permutation(len(files))
    paired = [files[i] for i in order[: int(round(share * len(files)))]]
    by_file = {file: set(people) for file, people in knowers(log, min_share=min_share).items()}
    known = {author: sum(author in p for p in by_file.values()) for author in log["author"].unique()}
    added = []
    for file in paired:
        main = table.loc[table["file"] == file, "author"].iloc[0]
        candidates = [a for a in known if a != main and a not in by_file[file]]
        if not candidates:
            continue
        partner = min(candidates, key=lambda a: (known[a], str(a)))
        commits = log[(log["file"] == file) & (log["author"] == main)]
        added.append(commits.assign(author=partner))
        if main in by_file[file]:  # the partner's share equals the main author's: they know it now
            by_file[file].add(partner)
            known[partner] += 1
    return pd.concat([log, *added], ignore_index=True) if added else log.copy()


def pairing_curve(
    log: pd.DataFrame, shares: Sequence[float], *, seed: int = 0, min_share: float = DEFAULT_MIN_SHARE
) -> pd.DataFrame:
    """Truck factor as the share of paired (or reviewed) files grows: ``[paired_share, truck_factor]``."""
    rows = []
    for share in shares:
        result = truck_factor(with_pairing(log, share, seed=seed, min_share=min_share), min_share=min_share)
        rows.append({"paired_share": float(share), "truck_factor": result.value})
    return pd.DataFrame(rows)


def conclude_truck_factor(result: TruckFactor, commit_factor: int) -> str:
    """What the truck factor says, and whether counting commits would have misled.

    >>> r = TruckFactor(1, ("ana",), tuple("abcdef"), 10)
    >>> conclude_truck_factor(r, 2).split(";")[0]
    'Truck factor 1: if ana left, 6 of 10 files (60%) would have nobody who knows them'
    """
    names = list(result.departing)
    who = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else (names[0] if names else "nobody")
    sentence = (
        f"Truck factor {result.value}: if {who} left, {len(result.orphaned_files)} of {result.n_files} files "
        f"({result.orphaned_share:.0%}) would have nobody who knows them"
    )
    if not result.exact:
        sentence += " (an upper bound: too many authors for the exact search)"
    if result.value == 0:
        return sentence + "; already today more than half of the files have no author who knows them."
    if commit_factor != result.value:
        return sentence + (
            f"; counting commits instead of files would give {commit_factor} "
            f"({'more' if commit_factor > result.value else 'fewer'} people than the knowledge says): "
            "commits measure activity, not what leaves with a person."
        )
    return sentence + "; counting commits happens to give the same number here, but for the wrong reason."


def conclude_pairing(curve: pd.DataFrame) -> str:
    """What the whole :func:`pairing_curve` says: the highest truck factor, where it is first reached, and the plateau.

    >>> conclude_pairing(pd.DataFrame({"paired_share": [0, 0.5, 1], "truck_factor": [1, 1, 2]}))[:77]
    'Pairing raises the truck factor from 1 (no pairing) to 2, first reached with '
    """
    curve = curve.sort_values("paired_share")
    shares, values = curve["paired_share"].to_numpy(float), curve["truck_factor"].to_numpy(int)
    base, top = int(values[0]), int(values.max())
    if len(values) < 2:
        return "One share of paired files cannot show an effect: try several, from 0 to 1."
    if top <= base:
        return (
            f"Pairing on up to {shares.max():.0%} of the files left the truck factor at {base}: "
            "spread knowledge to other people or pair on more files."
        )
    first = int(np.argmax(values == top))
    steps = ", ".join(f"{v} at {s:.0%}" for s, v in zip(shares, values, strict=True))
    head = (
        f"Pairing raises the truck factor from {base} (no pairing) to {top}, first reached with "
        f"{shares[first]:.0%} of the files paired"
    )
    if first == len(values) - 1:
        return head + " (the largest share tried): more pairing might raise it further."
    if np.any(values[first:] < top):
        return head + f"; the curve is not monotone ({steps}): the seeded choice of files matters at this size."
    return (
        head + f"; pairing on more files (up to {shares.max():.0%}) keeps it at {top}: a plateau ({steps}), "
        "where pairing on more of the files tried adds no protection in this repository."
    )

"""A seeded, synthetic commit log of a small machine-learning repository (for the truck factor of lesson 04).

One row per file changed by a commit: ``commit, timestamp, author, file``. The repository has areas (data
pipeline, models, serving, notebooks, tests and CI); each area has its own mix of authors, so knowledge is
concentrated the way it often is in real teams: one person wrote most of the pipeline and models, one the
serving code, and the most prolific committer spends their commits on a few notebooks.

>>> log = make_commit_log(50, seed=0)
>>> log.columns.tolist()
['commit', 'timestamp', 'author', 'file']
>>> make_commit_log(50, seed=0).equals(log)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COMMIT_LOG_COLUMNS = ("commit", "timestamp", "author", "file")

#: area -> (files, share of commits, {author: share of the area's commits})
REPOSITORY_AREAS: dict[str, tuple[tuple[str, ...], float, dict[str, float]]] = {
    "data": (
        ("src/churn/data/ingest.py", "src/churn/data/clean.py", "src/churn/data/schema.py", "src/churn/data/io.py"),
        0.16,
        {"ana": 0.75, "fay": 0.15, "eli": 0.10},
    ),
    "features": (
        ("src/churn/features/build.py", "src/churn/features/encoders.py", "src/churn/features/windows.py"),
        0.10,
        {"ana": 0.80, "fay": 0.20},
    ),
    "models": (
        (
            "src/churn/models/train.py",
            "src/churn/models/evaluate.py",
            "src/churn/models/tune.py",
            "src/churn/models/registry.py",
            "src/churn/models/calibrate.py",
        ),
        0.14,
        {"ana": 0.65, "fay": 0.25, "chen": 0.10},
    ),
    "serving": (
        ("src/churn/serving/api.py", "src/churn/serving/batch.py", "src/churn/serving/monitor.py", "Dockerfile"),
        0.12,
        {"ben": 0.85, "dara": 0.15},
    ),
    "notebooks": (
        ("notebooks/explore.ipynb", "notebooks/experiments.ipynb", "notebooks/report.ipynb"),
        0.30,
        {"chen": 0.90, "ana": 0.10},
    ),
    "tests": (
        (
            "tests/test_clean.py",
            "tests/test_features.py",
            "tests/test_train.py",
            "tests/test_api.py",
            "tests/conftest.py",
        ),
        0.10,
        {"dara": 0.55, "ana": 0.25, "ben": 0.20},
    ),
    "project": (
        ("pyproject.toml", "README.md", ".github/workflows/ci.yml", "Makefile"),
        0.08,
        {"dara": 0.50, "gus": 0.30, "ana": 0.20},
    ),
}


def make_commit_log(n_commits: int = 600, *, seed: int = 0, start: str = "2025-01-06", days: int = 540) -> pd.DataFrame:
    """``n_commits`` commits over ``days`` days; each touches one to three files of one area.

    The area of a commit is drawn by its share of commits, the author by the area's mix, the files uniformly
    within the area. Rows are sorted by time, then file.
    """
    if int(n_commits) != n_commits or n_commits < 1:
        raise ValueError(f"n_commits must be a positive whole number, got {n_commits!r}")
    rng = np.random.default_rng(seed)
    areas = list(REPOSITORY_AREAS)
    area_p = np.array([REPOSITORY_AREAS[a][1] for a in areas])
    seconds = np.sort(rng.integers(0, days * 86_400, size=n_commits))
    rows = []
    for i in range(int(n_commits)):
        files, _, mix = REPOSITORY_AREAS[areas[rng.choice(len(areas), p=area_p / area_p.sum())]]
        authors = list(mix)
        author = authors[rng.choice(len(authors), p=np.array(list(mix.values())))]
        touched = rng.choice(len(files), size=min(len(files), int(rng.integers(1, 4))), replace=False)
        when = (pd.Timestamp(start) + pd.Timedelta(seconds=int(seconds[i]))).isoformat()
        rows += [
            {"commit": f"c{i:04d}", "timestamp": when, "author": author, "file": files[j]} for j in sorted(touched)
        ]
    return pd.DataFrame(rows, columns=list(COMMIT_LOG_COLUMNS))

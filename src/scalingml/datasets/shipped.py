"""The small datasets shipped in the repository's ``datasets/`` folder, found through the package.

Autograded notebooks run from ``grading/autograded/<student>/<assignment>/``, so a
path like ``../datasets/churn.csv`` breaks; always use :func:`path` or :func:`load`.
Each dataset is rebuilt exactly by its recipe (see ``datasets/README.md``), and a
test checks the shipped file still matches it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from scalingml.command import command
from scalingml.datasets.commits import make_commit_log
from scalingml.datasets.errors import DatasetNotFoundError
from scalingml.datasets.generators import make_customers, make_transactions
from scalingml.datasets.storage import read_table

DATA_DIR_ENV_VAR = "SCALINGML_DATASETS"


@dataclass(frozen=True)
class ShippedDataset:
    """A small file in ``datasets/`` and the recipe that generated it."""

    name: str
    filename: str
    build: Callable[[], pd.DataFrame]
    summary: str


SHIPPED: dict[str, ShippedDataset] = {
    dataset.name: dataset
    for dataset in (
        ShippedDataset(
            name="churn",
            filename="churn.csv",
            build=lambda: make_customers(3_000, seed=2026, missing_rate=0.02),
            summary="3,000 customers of a subscription business with a churn label (2% missing values)",
        ),
        ShippedDataset(
            name="transactions",
            filename="transactions.csv",
            build=lambda: make_transactions(5_000, n_customers=3_000, seed=2026),
            summary="5,000 purchases by the churn customers over 2026",
        ),
        ShippedDataset(
            name="commits",
            filename="commits.csv",
            build=lambda: make_commit_log(600, seed=2026),
            summary="600 commits (one row per file changed) of a small ML repository, for the truck factor",
        ),
    )
}


def data_dir() -> Path:
    """The folder holding the shipped datasets.

    Looked up in order: ``$SCALINGML_DATASETS``; the copy inside an installed wheel;
    the ``datasets/`` folder of a source checkout (editable install).
    """
    override = os.environ.get(DATA_DIR_ENV_VAR)
    if override:
        return Path(override)
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_shipped_datasets", package.parent.parent / "datasets"):
        if candidate.is_dir():
            return candidate
    raise DatasetNotFoundError(
        "Cannot find the scalingml datasets folder: reinstall the package (pip install -e .) "
        f"or set {DATA_DIR_ENV_VAR} to the repository's datasets/ folder."
    )


def _lookup(name: str) -> ShippedDataset:
    try:
        return SHIPPED[name]
    except KeyError:
        raise DatasetNotFoundError(f"Unknown dataset {name!r}. Shipped datasets: {', '.join(SHIPPED)}.") from None


def path(name: str) -> Path:
    """Path of the shipped dataset ``name`` (e.g. ``"churn"``).

    >>> path("churn").name
    'churn.csv'
    """
    dataset = _lookup(name)
    file = data_dir() / dataset.filename
    if not file.is_file():
        raise DatasetNotFoundError(
            f"The dataset {name!r} should be at {file} but is missing. "
            f"Restore it with `git checkout -- datasets/{dataset.filename}` or `{command('datasets', '--rebuild')}`."
        )
    return file


def load(name: str) -> pd.DataFrame:
    """Read the shipped dataset ``name`` into a DataFrame (clear errors if missing or corrupt).

    >>> load("churn").shape[0]
    3000
    """
    return read_table(path(name))


def rebuild(folder: str | os.PathLike | None = None) -> list[Path]:
    """Regenerate every shipped file from its recipe into ``folder`` (default: :func:`data_dir`)."""
    folder = Path(folder) if folder is not None else data_dir()
    written = []
    for dataset in SHIPPED.values():
        target = folder / dataset.filename
        dataset.build().to_csv(target, index=False)
        written.append(target)
    return written

"""Shared parts: part of :mod:`scalingml.experiments.privacy`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scalingml.datasets.people import REFERENCE_YEAR
from scalingml.experiments.privacy.common import (
    auc_standard_error,
    require_columns,
)


def class_sizes(frame: pd.DataFrame, quasi_ids: Iterable[str]) -> pd.Series:
    """For each row, how many rows share its values on ``quasi_ids`` (its equivalence class)."""
    quasi_ids = require_columns(frame, quasi_ids, what="quasi-identifier")
    if frame.empty:
        return pd.Series([], index=frame.index, dtype="int64")
    keys = frame[quasi_ids].astype(str)  # one dtype: categorical, missing and mixed values group alike
    return keys.groupby(quasi_ids, sort=False, dropna=False)[quasi_ids[0]].transform("size").astype("int64")


def k_anonymity(frame: pd.DataFrame, quasi_ids: Iterable[str]) -> int:
    """The ``k`` of the frame: the size of the smallest group of rows identical on the quasi-identifiers.

    Only the quasi-identifiers count: other columns (the outcome, the sensitive attribute)
    are what an attacker wants to learn, not what they link on. An empty frame has k = 0.

    >>> table = pd.DataFrame({"zip": ["1", "1", "2", "2"], "year": [80, 80, 90, 90], "y": [0, 1, 0, 1]})
    >>> k_anonymity(table, ["zip", "year"]), k_anonymity(table, ["zip", "year", "y"])
    (2, 1)
    """
    sizes = class_sizes(frame, quasi_ids)
    return int(sizes.min()) if len(sizes) else 0


def unique_share(frame: pd.DataFrame, quasi_ids: Iterable[str]) -> float:
    """Share of rows that no other row matches on the quasi-identifiers (singled out, GDPR Recital 26)."""
    sizes = class_sizes(frame, quasi_ids)
    return float((sizes == 1).mean()) if len(sizes) else 0.0


@dataclass(frozen=True)
class Generalisation:
    """One rung of the generalisation ladder: how coarsely each quasi-identifier is released."""

    postcode_digits: int
    year_band: int
    keep_gender: bool

    def describe(self) -> str:
        postcode = f"postcode {self.postcode_digits} digit(s)" if self.postcode_digits else "no postcode"
        year = {0: "no birth year", 1: "birth year"}.get(self.year_band, f"{self.year_band}-year birth bands")
        return f"{postcode}, {year}, {'gender' if self.keep_gender else 'no gender'}"


#: From the raw quasi-identifiers (rung 0) to nothing (the last rung; ``year_band`` 0 suppresses the birth year).
GENERALISATION_LADDER = (
    Generalisation(5, 1, True),
    Generalisation(3, 5, True),
    Generalisation(2, 10, True),
    Generalisation(1, 20, True),
    Generalisation(1, 20, False),
    Generalisation(0, 0, False),
)


def generalise(frame: pd.DataFrame, rung: Generalisation) -> pd.DataFrame:
    """A copy with ``postcode`` truncated (``*`` padded), ``birth_year`` banded or ``*``, ``gender`` kept or ``*``.

    ``birth_year`` becomes the start of its band, or ``*`` when the rung's band is 0 (suppressed).

    >>> table = pd.DataFrame({"postcode": ["12345"], "birth_year": [1987], "gender": ["female"]})
    >>> generalise(table, Generalisation(2, 10, False)).to_dict("records")
    [{'postcode': '12***', 'birth_year': 1980, 'gender': '*'}]
    """
    require_columns(frame, ["postcode", "birth_year", "gender"], what="quasi-identifier")
    out = frame.copy()
    codes = out["postcode"].astype(str)
    out["postcode"] = codes.str[: rung.postcode_digits] + codes.str[rung.postcode_digits :].str.replace(
        r".", "*", regex=True
    )
    if rung.year_band:
        out["birth_year"] = (out["birth_year"] // rung.year_band) * rung.year_band
    else:
        out["birth_year"] = "*"
    out["gender"] = out["gender"].astype(str) if rung.keep_gender else "*"
    return out


def generalisation_ladder(
    frame: pd.DataFrame,
    quasi_ids: Sequence[str] = ("postcode", "birth_year", "gender"),
    ladder: Sequence[Generalisation] = GENERALISATION_LADDER,
) -> pd.DataFrame:
    """k, share of unique rows and number of distinct combinations at each rung of ``ladder``."""
    rows = []
    for i, rung in enumerate(ladder):
        released = generalise(frame, rung)
        rows.append(
            {
                "rung": i,
                "release": rung.describe(),
                "k": k_anonymity(released, quasi_ids),
                "unique_share": unique_share(released, quasi_ids),
                "combinations": int(released[list(quasi_ids)].astype(str).drop_duplicates().shape[0]),
            }
        )
    return pd.DataFrame(rows)


def first_rung_reaching(ladder_frame: pd.DataFrame, k: int) -> int | None:
    """The first (least generalised) rung whose k is at least ``k``; ``None`` if no rung reaches it."""
    reached = ladder_frame[ladder_frame["k"] >= k]
    return int(reached["rung"].iloc[0]) if len(reached) else None


def smallest_class(frame: pd.DataFrame, quasi_ids: Iterable[str]) -> dict:
    """The values of the smallest equivalence class on ``quasi_ids`` (the rows that set ``k``).

    >>> table = pd.DataFrame({"zip": ["1", "1", "2"], "sex": ["f", "f", "x"]})
    >>> smallest_class(table, ["zip", "sex"])
    {'zip': '2', 'sex': 'x'}
    """
    quasi_ids = require_columns(frame, quasi_ids, what="quasi-identifier")
    sizes = class_sizes(frame, quasi_ids)
    row = frame.loc[sizes.idxmin(), quasi_ids]
    return {column: row[column] for column in quasi_ids}


def conclude_rare_values(
    frame: pd.DataFrame,
    ladder_frame: pd.DataFrame,
    k: int = 5,
    quasi_ids: Sequence[str] = ("postcode", "birth_year", "gender"),
    ladder: Sequence[Generalisation] = GENERALISATION_LADDER,
) -> str:
    """What held ``k`` down on the rung just before k-anonymity: the rarest value of its smallest class.

    A value shared by few people (a rare gender, a very old birth year) keeps its class small however
    coarse the other columns get; only generalising or suppressing that column lifts ``k``.
    """
    rung = first_rung_reaching(ladder_frame, k)
    if rung is None or rung == 0:
        return (
            f"No rung reaches k = {k}: look at the rarest values before releasing."
            if rung is None
            else f"The raw table is already {k}-anonymous."
        )
    released = generalise(frame, ladder[rung - 1])
    values = smallest_class(released, quasi_ids)
    shares = {c: float((released[c].astype(str) == str(v)).mean()) for c, v in values.items()}
    rarest = min(shares, key=shares.__getitem__)
    before = ladder_frame.set_index("rung").loc[rung - 1]
    described = ", ".join(f"{c} {v}" for c, v in values.items())
    old, new = ladder[rung - 1], ladder[rung]
    changed = {
        "postcode": old.postcode_digits != new.postcode_digits,
        "birth_year": old.year_band != new.year_band,
        "gender": old.keep_gender != new.keep_gender,
    }
    sentence = (
        f"One rung earlier (rung {rung - 1}, k = {int(before.k)}) the smallest class is {described}; its rarest "
        f"value is {rarest} = {values[rarest]} ({shares[rarest]:.1%} of the people)"
    )
    if changed.get(rarest, False):
        return (
            f"{sentence}, and k >= {k} came only when rung {rung} generalised {rarest}: a rare value keeps its class "
            "small however coarse the other columns get."
        )
    return f"{sentence}; rung {rung} reached k >= {k} by coarsening other columns."


def _released_features(frame: pd.DataFrame, numeric: Sequence[str]) -> pd.DataFrame:
    """Model features a data user could build from a released (generalised) table.

    The lesson's model features (:func:`scalingml.experiments.features.people_features`): the
    numeric columns, age (from the birth year or its band; left out once the year is
    suppressed) and the district (the postcode's first digit, one column of ``*`` once the
    postcode is gone). Gender is not a model feature, so removing it costs the model nothing.
    """
    features = frame[list(numeric)].astype(float)
    years = pd.to_numeric(frame["birth_year"], errors="coerce")
    if years.notna().all():
        features["age"] = REFERENCE_YEAR - years.astype(float)
    district = pd.get_dummies(frame["postcode"].astype(str).str[0], prefix="district", dtype=float)
    return pd.concat([features, district], axis=1)


def generalisation_utility(
    frame: pd.DataFrame,
    rungs: Sequence[int],
    *,
    target: str = "approved",
    numeric: Sequence[str] = ("income", "savings", "debt_ratio", "loan_amount", "years_employed"),
    ladder: Sequence[Generalisation] = GENERALISATION_LADDER,
    seed: int = 0,
) -> pd.DataFrame:
    """Held-out ROC AUC (and its standard error) of a logistic regression trained on each released rung.

    Every rung is scored on the same test rows, so ``auc_change_se`` gives the standard error of
    the AUC's change from the first rung of ``rungs`` by a **paired** bootstrap of those rows
    (:func:`paired_auc_se`), smaller than the two separate standard errors combined.
    """
    rows, scores = [], []
    for rung in rungs:
        released = generalise(frame, ladder[rung])
        X, y = _released_features(released, numeric), frame[target]
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
        scores.append(model.predict_proba(X_test)[:, 1])
        auc = roc_auc_score(y_test, scores[-1])
        rows.append(
            {
                "rung": int(rung),
                "release": ladder[rung].describe(),
                "auc": float(auc),
                "auc_se": auc_standard_error(auc, int(y_test.sum()), int((1 - y_test).sum())),
            }
        )
    frame = pd.DataFrame(rows)
    if len(scores):
        frame["auc_change_se"] = [paired_auc_se(y_test, scores[0], other, seed=seed) for other in scores]
    return frame


def paired_auc_se(y_true, first, second, *, resamples: int = 200, seed: int = 0) -> float:
    """Standard error of ``AUC(second) - AUC(first)`` on the same rows, by resampling the rows once for both.

    >>> y = np.array([0, 1] * 50); s = np.linspace(0, 1, 100)
    >>> paired_auc_se(y, s, s)
    0.0
    """
    y_true, first, second = np.asarray(y_true), np.asarray(first), np.asarray(second)
    rng = np.random.default_rng(seed)
    changes = []
    for _ in range(resamples):
        index = rng.integers(0, len(y_true), len(y_true))
        if y_true[index].min() == y_true[index].max():
            continue  # one class only: AUC undefined for this resample
        changes.append(roc_auc_score(y_true[index], second[index]) - roc_auc_score(y_true[index], first[index]))
    return float(np.std(changes, ddof=1)) if len(changes) > 1 else math.nan


def conclude_k_anonymity(ladder_frame: pd.DataFrame, utility: pd.DataFrame, k: int = 5) -> str:
    """Where k-anonymity was reached on the ladder and what the model paid for it, judged against noise."""
    raw = ladder_frame.iloc[0]
    opening = f"On the raw quasi-identifiers {raw.unique_share:.0%} of the people are unique (k = {int(raw.k)})."
    rung = first_rung_reaching(ladder_frame, k)
    if rung is None:
        return f"{opening} No rung of the ladder reaches k = {k}: suppress rows or release less."
    released = ladder_frame.set_index("rung").loc[rung]
    sentence = f"{opening} k >= {k} first holds at rung {rung} ({released.release}, k = {int(released.k)})."
    by_rung = utility.set_index("rung")
    if 0 not in by_rung.index or rung not in by_rung.index:
        return sentence
    before, after = by_rung.loc[0], by_rung.loc[rung]
    loss = before.auc - after.auc

    def noise_of(row) -> float:  # the paired standard error of the change when measured, else both combined
        paired = row.get("auc_change_se", math.nan)
        return 2 * (paired if not math.isnan(paired) else math.hypot(before.auc_se, row.auc_se))

    noise = noise_of(after)
    if abs(loss) <= noise:
        sentence = (
            f"{sentence} The model's AUC moved from {before.auc:.3f} to {after.auc:.3f}, within the noise "
            f"(2 SE = {noise:.3f})"
        )
    else:
        verb = "lost" if loss > 0 else "gained"
        sentence = (
            f"{sentence} The model {verb} {abs(loss):.3f} AUC ({before.auc:.3f} -> {after.auc:.3f}; "
            f"noise: 2 SE = {noise:.3f})"
        )
    last = int(by_rung.index.max())
    if last in (0, rung):
        return sentence + "."
    bare = by_rung.loc[last]
    drop = before.auc - bare.auc
    drop_noise = noise_of(bare)
    if drop > drop_noise:
        tail = (
            f"; releasing none of them (rung {last}: no district, no age) costs {drop:.3f} "
            f"({bare.auc:.3f}, noise: 2 SE = {drop_noise:.3f}): that signal is the district's and age's — and the "
            "district is the proxy for the group, so part of this 'utility' is the planted bias."
        )
    else:
        tail = (
            f"; even releasing none of them (rung {last}) gives {bare.auc:.3f} (noise: 2 SE = {drop_noise:.3f}): "
            "the quasi-identifiers carry little signal for this model, by construction of the data."
        )
    return sentence + tail

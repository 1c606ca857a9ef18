"""Privacy experiments: pseudonyms that can be reversed, people who can be singled out, noise that protects.

Four measured claims of lesson 05, each with the function that states it:

* **Pseudonymisation is not anonymisation.** An unsalted hash of a short identifier is
  reversed by hashing every possible identifier (a dictionary attack); a keyed HMAC is not,
  as long as the key stays secret (:func:`dictionary_attack_curve`).
* **Quasi-identifiers single people out.** Postcode, birth year and gender together are
  unique for most people; generalising them until every combination is shared by at least
  ``k`` people (k-anonymity) costs some model quality (:func:`k_anonymity`, :func:`generalisation_ladder`).
* **Differential privacy** adds Laplace noise of scale ``sensitivity / epsilon``; every query
  spends budget, and repeated queries add up (:func:`laplace_mechanism`, :class:`PrivacyBudget`).
* **Models leak too.** The deeper (the more overfitted) a tree, the better an attacker tells
  its training rows from others (:func:`membership_curve`).

>>> frame = pd.DataFrame({"postcode": ["10", "10", "20"], "gender": ["f", "f", "m"], "x": [1, 2, 3]})
>>> k_anonymity(frame, ["postcode", "gender"])
1
>>> hmac_pseudonym("00042", key=b"secret") == hmac_pseudonym("00042", key=b"secret") != sha256_pseudonym("00042")
True
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from scalingml import measure
from scalingml.datasets.people import REFERENCE_YEAR
from scalingml.errors import ScalingmlError
from scalingml.progress import progress


class ColumnNotFoundError(ScalingmlError, KeyError):
    """A column the caller named (a quasi-identifier, a group column) is not in the frame."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class InvalidEpsilonError(ScalingmlError, ValueError):
    """A privacy parameter epsilon (or a sensitivity) that is not a positive number."""


class BudgetExceededError(ScalingmlError, RuntimeError):
    """A query would spend more privacy budget than is left."""


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, what: str = "column") -> list[str]:
    """``columns`` as a list, after checking each is a column of ``frame`` (:class:`ColumnNotFoundError` if not)."""
    columns = [columns] if isinstance(columns, str) else list(columns)
    if not columns:
        raise ColumnNotFoundError(f"Name at least one {what}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ColumnNotFoundError(
            f"{what.capitalize()}(s) {missing} are not columns of the frame; its columns are {list(frame.columns)}."
        )
    return columns


def auc_standard_error(auc: float, n_positive: int, n_negative: int) -> float:
    """Standard error of a ROC AUC (Hanley and McNeil 1982): how far chance alone moves it.

    >>> round(auc_standard_error(0.5, 1000, 1000), 4)
    0.0129
    """
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (n_positive - 1) * (q1 - auc**2) + (n_negative - 1) * (q2 - auc**2)) / (
        n_positive * n_negative
    )
    return float(math.sqrt(max(variance, 0.0)))


# --- pseudonymisation --------------------------------------------------------------------------------


def sha256_pseudonym(value: str) -> str:
    """Unsalted SHA-256 of an identifier: deterministic, and anyone can compute it."""
    return hashlib.sha256(str(value).encode()).hexdigest()


def hmac_pseudonym(value: str, key: bytes) -> str:
    """Keyed HMAC-SHA-256 of an identifier: only the key holder can compute (or check) it."""
    return hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()


def dictionary_attack_curve(
    ids: Sequence[str],
    *,
    digits: int,
    key: bytes,
    budgets: Sequence[float] = (0.01, 0.1, 0.25, 0.5, 1.0),
    seed: int = 0,
) -> tuple[pd.DataFrame, float]:
    """Share of pseudonymised ids an attacker re-identifies by hashing candidate ids, against the guesses made.

    The attacker knows the format (``digits`` decimal digits), hashes candidates in a random
    order with SHA-256 — the way the unsalted pseudonyms were made — and looks each hash up in
    the leaked table. The same hashes are looked up among HMAC pseudonyms made with ``key``
    (which the attacker lacks). ``budgets`` are shares of the id space tried. Memory grows with
    ``len(ids)``, not with the id space. Returns ``(frame, seconds)``: columns
    ``budget, guesses, scheme, reidentified`` and the seconds the attacker needed for the whole space.
    """
    ids = [str(i) for i in ids]
    space = 10**digits
    schemes = {
        "unsalted SHA-256": {sha256_pseudonym(i): n for n, i in enumerate(ids)},
        "HMAC with a secret key": {hmac_pseudonym(i, key): n for n, i in enumerate(ids)},
    }
    found = {scheme: np.full(len(ids), space) for scheme in schemes}  # the guess at which each id fell
    order = np.random.default_rng(seed).permutation(space)
    start = time.perf_counter()
    chunk = 100_000  # Python ints a chunk at a time: 10**7 candidates at `large` stay a few MB
    for first in range(0, space, chunk):
        for rank, candidate in enumerate(order[first : first + chunk].tolist(), start=first):
            digest = sha256_pseudonym(f"{candidate:0{digits}d}")
            for scheme, table in schemes.items():
                person = table.get(digest)
                if person is not None:
                    found[scheme][person] = rank
    seconds = time.perf_counter() - start
    rows = []
    for scheme, ranks in found.items():
        for budget in budgets:
            guesses = int(round(budget * space))
            rows.append(
                {
                    "budget": float(budget),
                    "guesses": guesses,
                    "scheme": scheme,
                    "reidentified": float(np.mean(ranks < guesses)) if len(ids) else 0.0,
                }
            )
    return pd.DataFrame(rows), seconds


def conclude_dictionary_attack(frame: pd.DataFrame, seconds: float) -> str:
    """What the dictionary attack showed: unsalted hashes fall, keyed ones hold (or not)."""
    full = frame[frame["budget"] == frame["budget"].max()].set_index("scheme")["reidentified"]
    plain, keyed = full.get("unsalted SHA-256", 0.0), full.get("HMAC with a secret key", 0.0)
    guesses = int(frame["guesses"].max())
    if plain >= 0.99 and keyed == 0:
        return (
            f"Hashing all {guesses:,} possible ids took {seconds:.1f} s and re-identified {plain:.0%} of the "
            f"unsalted pseudonyms; the HMAC pseudonyms gave {keyed:.0%}: without the key the dictionary is useless."
        )
    if plain > keyed:
        return (
            f"The attacker re-identified {plain:.0%} of the unsalted pseudonyms and {keyed:.0%} of the HMAC ones "
            f"after {guesses:,} guesses: the key helps, but the attack did not cover the whole id space."
        )
    return (
        f"The attack re-identified {plain:.0%} (unsalted) and {keyed:.0%} (HMAC): no difference shows here; "
        "check that the dictionary covers the id format."
    )


# --- k-anonymity ---------------------------------------------------------------------------------------


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


# --- differential privacy -----------------------------------------------------------------------------


def _check_positive(name: str, value: float, error: type[ScalingmlError] = InvalidEpsilonError) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise error(f"{name} must be a positive number, got {value!r}.") from None
    if not value > 0 or math.isinf(value):
        raise error(f"{name} must be a positive, finite number, got {value!r}. Smaller epsilon = more privacy.")
    return value


def laplace_mechanism(
    value: float, *, sensitivity: float, epsilon: float, rng: np.random.Generator | None = None, size=None
):
    """``value`` plus Laplace noise of scale ``sensitivity / epsilon``: epsilon-differentially private.

    ``sensitivity`` is the most one person can change ``value`` (1 for a count).
    ``size`` draws several independent releases at once (for experiments).

    >>> rng = np.random.default_rng(0)
    >>> draws = laplace_mechanism(100.0, sensitivity=2.0, epsilon=0.5, rng=rng, size=100_000)
    >>> round(float(np.mean(np.abs(draws - 100.0))), 1)  # mean absolute error = scale = 2 / 0.5
    4.0
    """
    epsilon = _check_positive("epsilon", epsilon)
    sensitivity = _check_positive("sensitivity", sensitivity)
    rng = rng if rng is not None else np.random.default_rng()
    return value + rng.laplace(0.0, sensitivity / epsilon, size=size)


def dp_count(mask, *, epsilon: float, rng: np.random.Generator | None = None, size=None):
    """A differentially private count of the true entries of ``mask`` (sensitivity 1)."""
    return laplace_mechanism(
        float(np.sum(np.asarray(mask, dtype=bool))), sensitivity=1.0, epsilon=epsilon, rng=rng, size=size
    )


def dp_mean(values, *, lower: float, upper: float, epsilon: float, rng: np.random.Generator | None = None, size=None):
    """A differentially private mean: values clipped to ``[lower, upper]``, the count taken as public.

    One person moves a clipped mean of ``n`` values by at most ``(upper - lower) / n``: that is
    the sensitivity. Clipping is what makes it bounded; choose the bounds without looking at the data.
    """
    if not upper > lower:
        raise InvalidEpsilonError(f"upper ({upper}) must be greater than lower ({lower}).")
    clipped = np.clip(np.asarray(values, dtype=float), lower, upper)
    if clipped.size == 0:
        raise InvalidEpsilonError("dp_mean needs at least one value.")
    return laplace_mechanism(
        float(clipped.mean()), sensitivity=(upper - lower) / clipped.size, epsilon=epsilon, rng=rng, size=size
    )


@dataclass
class PrivacyBudget:
    """Sequential composition: epsilons of answered queries add up, and the total may not exceed ``total``.

    >>> budget = PrivacyBudget(1.0)
    >>> budget.spend(0.4, "count"); budget.spend(0.4, "mean"); round(budget.remaining, 2)
    0.2
    >>> budget.spend(0.4, "another count")
    Traceback (most recent call last):
    ...
    scalingml.experiments.privacy.BudgetExceededError: Query 'another count' needs epsilon 0.4 but only 0.2 ...
    """

    total: float
    ledger: list[tuple[str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.total = _check_positive("total epsilon", self.total)

    @property
    def spent(self) -> float:
        return float(sum(epsilon for _, epsilon in self.ledger))

    @property
    def remaining(self) -> float:
        return max(0.0, round(self.total - self.spent, 12))  # 1 - 10 x 0.1 is 1e-16 in floating point

    def spend(self, epsilon: float, query: str = "query") -> None:
        """Record a query of cost ``epsilon``; refuse it (:class:`BudgetExceededError`) if the budget would overflow."""
        epsilon = _check_positive("epsilon", epsilon)
        if epsilon > self.remaining + 1e-12:
            raise BudgetExceededError(
                f"Query {query!r} needs epsilon {epsilon:g} but only {self.remaining:.3g} of {self.total:g} is left "
                "(repeated queries add up: answer from a cached release or stop)."
            )
        self.ledger.append((query, epsilon))

    def answer(self, function: Callable[..., float], *args, epsilon: float, query: str = "query", **kwargs) -> float:
        """Spend ``epsilon`` on ``query`` and return ``function(*args, epsilon=epsilon, **kwargs)``."""
        self.spend(epsilon, query)
        return function(*args, epsilon=epsilon, **kwargs)


def laplace_error_curve(
    value: float, *, sensitivity: float, epsilons: Sequence[float], draws: int, seed: int = 0
) -> pd.DataFrame:
    """Mean absolute error of Laplace releases of ``value`` per epsilon, beside the theory ``sensitivity/epsilon``."""
    rng = np.random.default_rng(seed)
    rows = []
    for epsilon in epsilons:
        releases = laplace_mechanism(value, sensitivity=sensitivity, epsilon=epsilon, rng=rng, size=draws)
        errors = np.abs(releases - value)
        rows.append(
            {
                "epsilon": float(epsilon),
                "mean_abs_error": float(errors.mean()),
                "error_se": float(errors.std(ddof=1) / math.sqrt(draws)),
                "theory": sensitivity / epsilon,
                "relative_error": float(errors.mean() / abs(value)) if value else math.nan,
            }
        )
    return pd.DataFrame(rows)


def conclude_laplace(curve: pd.DataFrame) -> str:
    """Whether the measured error follows sensitivity/epsilon (within 3 standard errors), and the price of privacy."""
    off = (curve["mean_abs_error"] - curve["theory"]).abs() > 3 * curve["error_se"] + 1e-12
    strict, loose = curve.loc[curve["epsilon"].idxmin()], curve.loc[curve["epsilon"].idxmax()]
    if off.any():
        return (
            f"The measured error departs from sensitivity/epsilon at epsilon = {curve.loc[off, 'epsilon'].tolist()}: "
            "more draws are needed before reading this curve."
        )
    return (
        f"The error follows sensitivity/epsilon at every epsilon: {strict.mean_abs_error:.2f} at epsilon = "
        f"{strict.epsilon:g} ({strict.relative_error:.1%} of the true value) against {loose.mean_abs_error:.3f} "
        f"at epsilon = {loose.epsilon:g}: an epsilon {loose.epsilon / strict.epsilon:.0f} times smaller gave "
        f"{strict.mean_abs_error / loose.mean_abs_error:.0f} times more noise — the noise grows as 1/epsilon."
    )


def composition_curve(
    value: float, *, epsilon: float, queries: Sequence[int], draws: int, sensitivity: float = 1.0, seed: int = 0
) -> pd.DataFrame:
    """An analyst (or attacker) asks the same query ``q`` times at ``epsilon`` each and averages the answers.

    Returns, per ``q``: the budget spent (``q * epsilon``), the mean absolute error of the
    average, and the error of one query that spends the same total budget at once.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for q in queries:
        answers = laplace_mechanism(value, sensitivity=sensitivity, epsilon=epsilon, rng=rng, size=(draws, q))
        single = laplace_mechanism(value, sensitivity=sensitivity, epsilon=epsilon * q, rng=rng, size=draws)
        rows.append(
            {
                "queries": int(q),
                "budget_spent": float(q * epsilon),
                "averaged_error": float(np.abs(answers.mean(axis=1) - value).mean()),
                "one_query_error": float(np.abs(single - value).mean()),
            }
        )
    return pd.DataFrame(rows)


def conclude_composition(curve: pd.DataFrame, budget: float) -> str:
    """What repeated queries did to the error and to the budget."""
    first, last = curve.iloc[0], curve.iloc[-1]
    over = curve[curve["budget_spent"] > budget + 1e-12]
    sentence = (
        f"Averaging {int(last.queries)} answers cut the error from {first.averaged_error:.2f} to "
        f"{last.averaged_error:.2f}, but spent epsilon = {last.budget_spent:g} instead of {first.budget_spent:g}"
    )
    if last.averaged_error >= first.averaged_error:
        sentence = (
            f"With {int(last.queries)} averaged answers the error did not fall here ({first.averaged_error:.2f} -> "
            f"{last.averaged_error:.2f}; too few draws), yet epsilon = {last.budget_spent:g} was spent"
        )
    if len(over):
        allowed = int(math.floor(budget / (first.budget_spent / first.queries) + 1e-9))
        sentence += f"; a budget of {budget:g} answers at most {allowed} such queries and refuses the rest."
    else:
        sentence += f"; all stayed within the budget of {budget:g}."
    better = (curve["one_query_error"] <= curve["averaged_error"]).mean()
    if better >= 0.5:
        sentence += " Spending the same epsilon on one query was at least as accurate in most cases."
    return sentence


# --- membership inference -----------------------------------------------------------------------------


def membership_scores(model, X, y) -> np.ndarray:
    """The attacker's score: the model's confidence in each row's true label (members get more)."""
    proba = model.predict_proba(X)
    classes = list(model.classes_)
    index = np.array([classes.index(label) for label in np.asarray(y)])
    return proba[np.arange(len(index)), index]


def membership_auc(model, X_members, y_members, X_others, y_others) -> float:
    """ROC AUC of telling training rows (members) from unseen rows by :func:`membership_scores` (0.5 = no leak)."""
    scores = np.concatenate(
        [membership_scores(model, X_members, y_members), membership_scores(model, X_others, y_others)]
    )
    truth = np.concatenate([np.ones(len(X_members)), np.zeros(len(X_others))])
    return float(roc_auc_score(truth, scores))


def membership_curve(X, y, depths: Sequence[int | None], *, estimator=None, seed: int = 0) -> pd.DataFrame:
    """For each tree depth: train and test accuracy, and the membership-inference AUC (with its standard error).

    Half the rows train the model (members), the other half are the attacker's non-members.
    """
    X_in, X_out, y_in, y_out = train_test_split(X, y, test_size=0.5, random_state=seed, stratify=y)
    estimator = estimator if estimator is not None else DecisionTreeClassifier(random_state=seed)
    rows = []
    for depth in progress(list(depths), desc="membership inference"):
        model = clone(estimator).set_params(max_depth=depth).fit(X_in, y_in)
        auc = membership_auc(model, X_in, y_in, X_out, y_out)
        rows.append(
            {
                "depth": depth,
                "train_accuracy": float(model.score(X_in, y_in)),
                "test_accuracy": float(model.score(X_out, y_out)),
                "attack_auc": auc,
                "auc_se": auc_standard_error(auc, len(X_in), len(X_out)),
            }
        )
    frame = pd.DataFrame(rows)
    frame["gap"] = frame["train_accuracy"] - frame["test_accuracy"]
    train, test = frame["train_accuracy"], frame["test_accuracy"]
    frame["gap_se"] = np.hypot(measure.proportion_se(train, len(X_in)), measure.proportion_se(test, len(X_out)))
    return frame


def conclude_membership(frame: pd.DataFrame) -> str:
    """Whether deeper trees leak more, judged against the AUC's standard error; whether the best tree leaks at all.

    Three branches for the change from the shallowest to the deepest tree (a rise, a fall, or
    within the noise); the overfitting gap is named only when it rose beyond its own noise; the
    most accurate tree's AUC is compared with chance (0.5) and its standard error.
    """
    shallow, deep = frame.iloc[0], frame.iloc[-1]
    noise = 2 * math.hypot(shallow.auc_se, deep.auc_se)
    rise = deep.attack_auc - shallow.attack_auc
    best = frame.loc[frame["test_accuracy"].idxmax()]
    if best.attack_auc - 0.5 > 2 * best.auc_se:
        best_leak = f"leaks {best.attack_auc:.3f}, above chance (0.5; 2 SE = {2 * best.auc_se:.3f})"
    else:
        best_leak = f"leaks {best.attack_auc:.3f}, indistinguishable from chance (0.5; 2 SE = {2 * best.auc_se:.3f})"
    best_sentence = f"the most accurate tree on new rows (depth {int(best.depth)}) {best_leak}."
    if rise > noise:
        gap_noise = 2 * math.hypot(shallow.get("gap_se", 0.0), deep.get("gap_se", 0.0))
        if "gap_se" in frame and deep.gap - shallow.gap > gap_noise:
            gap = f", as the overfitting gap grew ({shallow.gap:.3f} -> {deep.gap:.3f}, noise: 2 SE = {gap_noise:.3f})"
        else:
            gap = ""
        return (
            f"The attack's AUC rises from {shallow.attack_auc:.3f} at depth {int(shallow.depth)} to "
            f"{deep.attack_auc:.3f} at depth {int(deep.depth)} (noise: 2 SE = {noise:.3f}){gap}; {best_sentence}"
        )
    if rise < -noise:
        return (
            f"The attack's AUC fell from {shallow.attack_auc:.3f} at depth {int(shallow.depth)} to "
            f"{deep.attack_auc:.3f} at depth {int(deep.depth)} (noise: 2 SE = {noise:.3f}): unexpected — deeper trees "
            f"usually leak more; check the split and the attack. {best_sentence[0].upper()}{best_sentence[1:]}"
        )
    return (
        f"The attack's AUC moved from {shallow.attack_auc:.3f} to {deep.attack_auc:.3f}, within the noise "
        f"(2 SE = {noise:.3f}): no rise in leakage with depth is measurable at this size; {best_sentence}"
    )


def safest_accurate_depth(frame: pd.DataFrame, max_auc: float):
    """The depth with the best test accuracy among those whose attack AUC is at most ``max_auc`` (``None`` if none)."""
    allowed = frame[frame["attack_auc"] <= max_auc]
    if allowed.empty:
        return None
    return allowed.loc[allowed["test_accuracy"].idxmax(), "depth"]

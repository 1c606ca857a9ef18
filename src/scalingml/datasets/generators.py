"""Seeded, business-flavoured synthetic tables with knobs for the problems of scale.

Every generator is deterministic: the same arguments give the same frame, on any
machine. The knobs inject the problems the course studies, at a known rate, so an
experiment can measure their effect:

* ``missing_rate``: share of feature cells set to missing;
* ``label_noise``: share of labels flipped;
* ``duplicate_rate``: share of extra rows that repeat an existing customer;
* ``drift``: a shift of the feature distribution (0 = none, 1 = one standard deviation);
* ``concept_drift``: a change of the *relationship* between features and churn (0 = none,
  1 = the new relationship only), with the feature distribution left as it is.

>>> frame = make_customers(5, seed=1)
>>> list(frame.columns[:4])
['customer_id', 'region', 'plan', 'tenure_months']
>>> make_customers(5, seed=1).equals(frame)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scalingml.errors import InvalidParameterError

#: Features that drive churn in :func:`make_customers` (in decreasing order of effect).
CUSTOMER_INFORMATIVE = ("support_tickets", "tenure_months", "monthly_spend", "satisfaction", "plan")
#: Features generated without any effect on churn.
CUSTOMER_NOISE_PREFIX = "noise_"
CUSTOMER_TARGET = "churned"

REGIONS = ("north", "south", "east", "west")
PLANS = ("basic", "standard", "premium")
CHANNELS = ("web", "store", "phone")


def _check_rate(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise InvalidParameterError(f"{name} must be between 0 and 1, got {value}")
    return float(value)


def _check_rows(n_rows: int) -> int:
    if int(n_rows) != n_rows or n_rows < 0:
        raise InvalidParameterError(f"n_rows must be a non-negative whole number, got {n_rows!r}")
    return int(n_rows)


def make_customers(
    n_rows: int,
    *,
    seed: int = 0,
    n_noise_features: int = 3,
    missing_rate: float = 0.0,
    label_noise: float = 0.0,
    duplicate_rate: float = 0.0,
    drift: float = 0.0,
    id_offset: int = 0,
    concept_drift: float = 0.0,
) -> pd.DataFrame:
    """A customer table of a subscription business, with a ``churned`` label.

    Churn follows a logistic model of :data:`CUSTOMER_INFORMATIVE` (more support
    tickets, a short tenure, a basic plan and low satisfaction raise it); the
    ``noise_*`` columns and ``region`` carry no signal, so interpretation tools can
    be checked against the truth. ``id_offset`` shifts ``customer_id`` so that
    partitions written separately do not collide.

    ``concept_drift`` blends the churn model towards a new one (a competitor's cheaper
    offer: long-standing, high-spending customers now leave, tickets matter less),
    without drawing any extra random numbers, so the features are the same as with
    ``concept_drift=0`` and only the labels change; at 0 the output is unchanged.
    """
    n_rows = _check_rows(n_rows)
    concept_drift = _check_rate("concept_drift", concept_drift)
    missing_rate = _check_rate("missing_rate", missing_rate)
    label_noise = _check_rate("label_noise", label_noise)
    duplicate_rate = _check_rate("duplicate_rate", duplicate_rate)
    rng = np.random.default_rng(seed)

    tenure = rng.gamma(shape=2.0, scale=12.0, size=n_rows) * (1 + 0.5 * drift)
    plan = rng.choice(PLANS, size=n_rows, p=(0.5, 0.35, 0.15))
    plan_price = pd.Series(plan).map({"basic": 20.0, "standard": 45.0, "premium": 90.0}).to_numpy()
    spend = plan_price * rng.lognormal(mean=0.0, sigma=0.25, size=n_rows) * (1 + 0.3 * drift)
    tickets = rng.poisson(lam=1.5 + drift, size=n_rows)
    satisfaction = np.clip(rng.normal(7.0 - 0.4 * tickets - drift, 1.5), 0, 10)
    region = rng.choice(REGIONS, size=n_rows)

    logit = (
        -1.0
        + 0.55 * tickets
        - 0.06 * tenure
        - 0.012 * (spend - 45.0)
        - 0.30 * (satisfaction - 7.0)
        + 0.6 * (plan == "basic")
    )
    if concept_drift:
        new_logit = (
            -1.0
            + 0.15 * tickets
            + 0.05 * (tenure - 24.0)
            + 0.025 * (spend - 45.0)
            - 0.30 * (satisfaction - 7.0)
            - 0.6 * (plan == "basic")
        )
        logit = (1.0 - concept_drift) * logit + concept_drift * new_logit
    churned = rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))

    frame = pd.DataFrame(
        {
            "customer_id": np.arange(id_offset, id_offset + n_rows, dtype=np.int64),
            "region": pd.Categorical(region, categories=REGIONS),
            "plan": pd.Categorical(plan, categories=PLANS),
            "tenure_months": tenure.round(1),
            "monthly_spend": spend.round(2),
            "support_tickets": tickets.astype(np.int64),
            "satisfaction": satisfaction.round(1),
        }
    )
    for i in range(n_noise_features):
        frame[f"{CUSTOMER_NOISE_PREFIX}{i}"] = rng.normal(size=n_rows).round(3)

    if label_noise:
        flip = rng.random(n_rows) < label_noise
        churned = np.where(flip, ~churned, churned)
    frame[CUSTOMER_TARGET] = churned.astype(np.int64)

    if missing_rate:
        for column in ("tenure_months", "monthly_spend", "satisfaction"):
            frame.loc[rng.random(n_rows) < missing_rate, column] = np.nan
    if duplicate_rate and n_rows:
        n_dupes = int(round(n_rows * duplicate_rate))
        dupes = frame.iloc[rng.integers(0, n_rows, size=n_dupes)]
        frame = pd.concat([frame, dupes], ignore_index=True)
        frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    return frame


def make_transactions(
    n_rows: int, *, n_customers: int = 1000, seed: int = 0, start: str = "2026-01-01", days: int = 365
) -> pd.DataFrame:
    """Purchases by customers ``0..n_customers-1``: amount, channel and timestamp.

    >>> make_transactions(3, n_customers=10, seed=0).columns.tolist()
    ['transaction_id', 'customer_id', 'timestamp', 'channel', 'amount']
    """
    n_rows = _check_rows(n_rows)
    if n_customers < 1:
        raise InvalidParameterError(f"n_customers must be at least 1, got {n_customers}")
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, days * 86_400, size=n_rows)
    timestamp = pd.Timestamp(start) + pd.to_timedelta(np.sort(seconds), unit="s")
    return pd.DataFrame(
        {
            "transaction_id": np.arange(n_rows, dtype=np.int64),
            "customer_id": rng.zipf(1.6, size=n_rows) % n_customers,
            "timestamp": timestamp,
            "channel": pd.Categorical(rng.choice(CHANNELS, size=n_rows, p=(0.6, 0.3, 0.1)), categories=CHANNELS),
            "amount": rng.lognormal(mean=3.2, sigma=0.8, size=n_rows).round(2),
        }
    )

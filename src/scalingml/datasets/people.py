"""A generated, people-like table for lesson 05 (privacy, fairness, transparency): nobody real is in it.

Each row is a loan applicant of a fictitious lender. The table carries everything an
audit needs, at known strengths:

* a **direct identifier** (``member_id``, a short number: low entropy, like most real ids);
* **quasi-identifiers** (``postcode``, ``birth_year``, ``gender``): harmless one by one,
  identifying together;
* a **sensitive attribute** (``ethnic_group``, ``"A"`` or ``"B"``: a GDPR Art. 9 special category);
* a **proxy** for it (``district``, the first digit of the postcode: group B lives mostly in
  districts 7-9, as segregated housing does in real cities);
* legitimate features (``income``, ``savings``, ``debt_ratio``, ``loan_amount``, ``years_employed``),
  drawn **independently of the group**;
* the outcome ``approved``: past decisions of human loan officers, drawn from a logistic model of
  the legitimate features **minus** ``bias`` on the logit for group B (:data:`PLANTED_BIAS` by
  default). This is the planted, documented bias: with ``bias=0`` the groups are treated alike.

>>> people = make_people(6, seed=1)
>>> list(people.columns[:5])
['member_id', 'postcode', 'birth_year', 'gender', 'ethnic_group']
>>> make_people(6, seed=1).equals(people)
True
>>> bool((people["district"] == people["postcode"].str[0].astype(int)).all())
True
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: Quasi-identifiers: public-looking attributes that single people out when combined.
PEOPLE_QUASI_IDENTIFIERS = ("postcode", "birth_year", "gender")
#: The sensitive attribute (a protected characteristic).
PEOPLE_SENSITIVE = "ethnic_group"
#: A legitimate-looking feature correlated with the sensitive attribute.
PEOPLE_PROXY = "district"
#: The outcome (past approval decisions, with the planted bias).
PEOPLE_TARGET = "approved"
#: Features an applicant can act on (with the direction that helps them).
PEOPLE_ACTIONABLE = {"savings": +1, "debt_ratio": -1, "loan_amount": -1}
#: Features nobody may be asked to change: who the person is.
PEOPLE_IMMUTABLE = ("birth_year", "gender", "ethnic_group")
#: Default strength of the planted bias: subtracted from the approval logit of group B.
PLANTED_BIAS = 1.0
#: The year ages are computed against.
REFERENCE_YEAR = 2026

GENDERS = ("female", "male", "diverse")
#: Share of group B living in each district 0..9 (the proxy relation).
DISTRICT_SHARE_B = (0.05, 0.05, 0.08, 0.10, 0.10, 0.12, 0.15, 0.75, 0.80, 0.85)
#: How many people live in each district (relative weights).
DISTRICT_WEIGHT = (0.14, 0.12, 0.12, 0.11, 0.10, 0.10, 0.09, 0.08, 0.07, 0.07)


def people_id_digits(n_rows: int) -> int:
    """Digits of ``member_id``: the smallest count with at least ten ids per person (at least 5).

    >>> people_id_digits(2_000), people_id_digits(20_000), people_id_digits(500_000)
    (5, 6, 7)
    """
    return max(5, math.ceil(math.log10(max(n_rows, 1) * 10)))


def approval_logit(frame: pd.DataFrame, *, bias: float = PLANTED_BIAS) -> np.ndarray:
    """The logit the past decisions were drawn from (documented in ``datasets/README.md``)."""
    return (
        0.4
        + 1.6 * np.log(frame["income"] / 40.0)
        + 0.5 * np.log(frame["savings"] / 10.0)
        - 4.0 * (frame["debt_ratio"] - 0.3)
        - 1.2 * np.log(frame["loan_amount"] / 20.0)
        + 0.04 * (frame["years_employed"] - 8.0)
        + 0.02 * (REFERENCE_YEAR - frame["birth_year"] - 45.0)
        - bias * (frame[PEOPLE_SENSITIVE] == "B")
    ).to_numpy(dtype=float)


def make_people(n_rows: int, *, seed: int = 0, bias: float = PLANTED_BIAS) -> pd.DataFrame:
    """Loan applicants with identifiers, quasi-identifiers, a sensitive attribute, a proxy and a biased outcome.

    Postcodes are five digits: district (1), sector (1), street (3); about twenty
    applicants share a postcode, so most are unique on postcode, birth year and
    gender together, as in real populations (Sweeney 2000). ``bias`` is the planted
    penalty on group B's approval logit (0 = none).
    """
    if int(n_rows) != n_rows or n_rows < 0:
        raise ValueError(f"n_rows must be a non-negative whole number, got {n_rows!r}")
    n_rows = int(n_rows)
    rng = np.random.default_rng(seed)
    digits = people_id_digits(n_rows)
    member_id = rng.choice(10**digits, size=n_rows, replace=False)

    district = rng.choice(10, size=n_rows, p=DISTRICT_WEIGHT)
    # streets per sector grow with the population, so about twenty applicants share a postcode at any size
    n_streets = min(1000, max(1, n_rows // 2000))
    sector = rng.integers(0, 10, size=n_rows)
    street = (rng.integers(0, n_streets, size=n_rows) * 397 + 101 * sector + 7) % 1000
    postcode = [f"{d}{s}{t:03d}" for d, s, t in zip(district, sector, street, strict=True)]
    group = np.where(rng.random(n_rows) < np.take(DISTRICT_SHARE_B, district), "B", "A")

    birth_year = REFERENCE_YEAR - rng.integers(20, 76, size=n_rows)
    gender = rng.choice(GENDERS, size=n_rows, p=(0.49, 0.49, 0.02))
    age = REFERENCE_YEAR - birth_year
    income = rng.lognormal(np.log(40.0), 0.45, size=n_rows)
    savings = rng.lognormal(np.log(10.0), 1.0, size=n_rows)
    debt_ratio = rng.beta(2.0, 5.0, size=n_rows)
    loan_amount = rng.lognormal(np.log(20.0), 0.6, size=n_rows)
    years_employed = np.minimum(age - 18, rng.gamma(2.0, 5.0, size=n_rows))

    frame = pd.DataFrame(
        {
            "member_id": [f"{i:0{digits}d}" for i in member_id],
            "postcode": postcode,
            "birth_year": birth_year.astype(np.int64),
            # plain strings, not categoricals: unused categories would create empty groups in audits and counts
            "gender": gender,
            PEOPLE_SENSITIVE: group,
            PEOPLE_PROXY: district.astype(np.int64),
            "income": income.round(1),
            "savings": savings.round(1),
            "debt_ratio": debt_ratio.round(3),
            "loan_amount": loan_amount.round(1),
            "years_employed": years_employed.round(1),
        }
    )
    logit = approval_logit(frame, bias=bias)
    frame[PEOPLE_TARGET] = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    return frame


def unbiased_outcome(n_rows: int, *, seed: int = 0) -> pd.Series:
    """The approvals :func:`make_people` would have drawn without the planted bias: same people, same luck.

    The bias enters only the approval logit, after every random draw, so ``make_people(..., bias=0)`` draws the
    same applicants and the same uniform numbers: group A's approvals are identical, and group B's are those the
    past decisions would have made with no penalty. Only a generator knows this; a real audit has no such column.
    """
    return make_people(n_rows, seed=seed, bias=0.0)[PEOPLE_TARGET].rename("approved_without_bias")

"""Turn a generated customer table into model-ready features.

>>> X, y = customer_xy(100, seed=0)
>>> X.shape[0], set(y.unique()) <= {0, 1}
(100, True)
"""

from __future__ import annotations

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scalingml.datasets import CUSTOMER_TARGET, make_customers
from scalingml.datasets.generators import PLANS, REGIONS

NUMERIC_FEATURES = ("tenure_months", "monthly_spend", "support_tickets", "satisfaction")
#: The fixed category list of each one-hot encoded column (alphabetical, as the columns come out).
CATEGORIES = {"plan": tuple(sorted(PLANS)), "region": tuple(sorted(REGIONS))}


def one_hot(frame: pd.DataFrame, categories: dict[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """One-hot columns from a *fixed* category list, so every chunk of a table gets the same columns.

    ``pd.get_dummies`` on the values alone makes a column only for the categories a chunk
    happens to contain: a chunk without premium customers would lose ``plan_premium`` and a
    model trained chunk by chunk would see columns change under it. A value outside the
    list gets all zeros (as ``OneHotEncoder(handle_unknown="ignore")`` does).

    >>> chunk = pd.DataFrame({"plan": ["basic", "basic"], "region": ["east", "west"]})
    >>> list(one_hot(chunk).columns)[:3], int(one_hot(chunk)["plan_premium"].sum())
    (['plan_basic', 'plan_premium', 'plan_standard'], 0)
    """
    categories = CATEGORIES if categories is None else categories
    fixed = {}
    for column, levels in categories.items():
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):  # reorder (an unordered astype would not)
            fixed[column] = values.cat.set_categories(list(levels))
        else:  # text, or codes typed as numbers: compare as text; a value outside the list becomes missing first
            text = values.astype(str)
            fixed[column] = pd.Categorical(text.where(text.isin(levels)), categories=list(levels))
    return pd.get_dummies(pd.DataFrame(fixed, index=frame.index), dtype=float)


def customer_features(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Numeric feature frame (one-hot plan and region, noise columns kept) and the churn label.

    The one-hot columns come from :data:`CATEGORIES`, not from the values present, so any chunk
    of a table (one partition, one day) gives the same columns in the same order.
    """
    noise = [c for c in frame.columns if c.startswith("noise_")]
    X = frame[[*NUMERIC_FEATURES, *noise]].astype(float)
    X = pd.concat([X, one_hot(frame)], axis=1)
    return X, frame[CUSTOMER_TARGET]


def customer_xy(n_rows: int, *, seed: int = 0, **make_kwargs) -> tuple[pd.DataFrame, pd.Series]:
    """Generate ``n_rows`` customers (no missing values unless asked) and return ``X, y``."""
    return customer_features(make_customers(n_rows, seed=seed, **make_kwargs))


def model_families(seed: int = 0) -> dict[str, BaseEstimator]:
    """Two model families the lessons compare (unfitted): a linear model and a tree ensemble.

    The linear model imputes missing values (the median) before scaling; the boosted trees
    handle them natively. On complete data the imputer changes nothing.
    """
    return {
        "logistic regression": make_pipeline(
            SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=1_000)
        ),
        "gradient boosting": HistGradientBoostingClassifier(max_iter=100, random_state=seed),
    }


#: Numeric features of the people table that a lender may legitimately use.
PEOPLE_NUMERIC = ("income", "savings", "debt_ratio", "loan_amount", "years_employed")


def people_features(
    frame: pd.DataFrame, *, sensitive: bool = False, proxy: bool = True
) -> tuple[pd.DataFrame, pd.Series]:
    """Model-ready features of :func:`scalingml.datasets.make_people` and the ``approved`` label.

    Always: the numeric features and ``age``. ``proxy`` adds one-hot ``district_*``
    (correlated with the sensitive attribute); ``sensitive`` adds ``group_B`` (1 for group B).
    Direct identifiers, the full postcode and gender never enter a model: gender carries no
    signal in the generator, and data minimisation (GDPR Art. 5(1)(c)) and the ban on sex-based
    pricing in financial services (Directive 2004/113/EC) both argue against using it. It stays
    in the table as a quasi-identifier, where the privacy section measures what it reveals.

    >>> from scalingml.datasets import make_people
    >>> X, y = people_features(make_people(50, seed=0), sensitive=True)
    >>> [c for c in X.columns if c.startswith(("age", "group"))]
    ['age', 'group_B']
    """
    from scalingml.datasets.people import PEOPLE_SENSITIVE, PEOPLE_TARGET, REFERENCE_YEAR

    X = frame[list(PEOPLE_NUMERIC)].astype(float)
    X["age"] = (REFERENCE_YEAR - frame["birth_year"]).astype(float)
    parts = [X]
    if proxy:
        districts = pd.Series(pd.Categorical(frame["district"], categories=range(10)), index=frame.index)
        parts.append(pd.get_dummies(districts, prefix="district", dtype=float))
    if sensitive:
        parts.append((frame[PEOPLE_SENSITIVE].astype(str) == "B").astype(float).rename("group_B").to_frame())
    return pd.concat(parts, axis=1), frame[PEOPLE_TARGET]

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

import pandas as pd  # noqa: F401  (the examples above use it)

from scalingml.experiments.privacy.anonymity import (
    GENERALISATION_LADDER,
    Generalisation,
    class_sizes,
    conclude_k_anonymity,
    conclude_rare_values,
    first_rung_reaching,
    generalisation_ladder,
    generalisation_utility,
    generalise,
    k_anonymity,
    paired_auc_se,
    smallest_class,
    unique_share,
)
from scalingml.experiments.privacy.common import (
    BudgetExceededError,
    ColumnNotFoundError,
    InvalidEpsilonError,
    auc_standard_error,
    require_columns,
)
from scalingml.experiments.privacy.differential import (
    PrivacyBudget,
    composition_curve,
    conclude_composition,
    conclude_laplace,
    dp_count,
    dp_mean,
    laplace_error_curve,
    laplace_mechanism,
)
from scalingml.experiments.privacy.membership import (
    conclude_membership,
    membership_auc,
    membership_curve,
    membership_scores,
    safest_accurate_depth,
)
from scalingml.experiments.privacy.pseudonyms import (
    conclude_dictionary_attack,
    dictionary_attack_curve,
    hmac_pseudonym,
    sha256_pseudonym,
)

__all__ = [
    "BudgetExceededError",
    "ColumnNotFoundError",
    "GENERALISATION_LADDER",
    "Generalisation",
    "InvalidEpsilonError",
    "PrivacyBudget",
    "auc_standard_error",
    "class_sizes",
    "composition_curve",
    "conclude_composition",
    "conclude_dictionary_attack",
    "conclude_k_anonymity",
    "conclude_laplace",
    "conclude_membership",
    "conclude_rare_values",
    "dictionary_attack_curve",
    "dp_count",
    "dp_mean",
    "first_rung_reaching",
    "generalisation_ladder",
    "generalisation_utility",
    "generalise",
    "hmac_pseudonym",
    "k_anonymity",
    "laplace_error_curve",
    "laplace_mechanism",
    "membership_auc",
    "membership_curve",
    "membership_scores",
    "paired_auc_se",
    "require_columns",
    "safest_accurate_depth",
    "sha256_pseudonym",
    "smallest_class",
    "unique_share",
]

"""Lesson 03 (infrastructure). ``CHECKS``: the quick checks closing its sections (hardware limits, cost, maintenance).

``ASSESSMENT``: one question per challenge for lesson 04's self-assessment (its learning path).
"""

from scalingml.quickcheck.model import Estimate, MultipleChoice, Option

CHECKS = (
    Estimate(
        key="03.hardware-limits",
        prompt="A float64 table of 1,000,000 rows and 100 numeric columns: how much memory do its values take?",
        unit="MB",
        truth=lambda measured: 1_000_000 * 100 * 8 / 1e6,
        explanation=(
            "8 bytes per float64 × 100 columns × 1,000,000 rows = {truth:.0f} MB (10^6 bytes each), plus 8 MB for a "
            "materialised index. float32 halves it; one-hot columns of a wide category belong in a sparse matrix."
        ),
        low=1.0,
        high=100_000.0,
        start=10.0,
    ),
    MultipleChoice(
        key="03.cost",
        prompt=(
            "Model A is 0.4 accuracy points better than model B and costs 10× the CPU-seconds; "
            "the standard error of the difference is 0.5 points. Which do you buy?"
        ),
        options=(
            Option(
                "A: the most accurate model, since 0.4 points add up over many decisions.",
                False,
                "0.4 points is less than one standard error of the difference: on other rows B might well win. "
                "You would pay ten times for a gain you cannot show.",
            ),
            Option(
                "B: you cannot beat it beyond noise, and it costs a tenth.",
                True,
                "The lesson's rule: buy the cheapest model that no other beats by more than two standard errors "
                "of the difference, at your own prices and volume.",
            ),
            Option(
                "A, trained with more threads so that it costs less.",
                False,
                "A cloud bills CPU-seconds: more threads can shorten the wall time, but they do not reduce the "
                "CPU-seconds (waiting and oversubscription can add to them).",
            ),
        ),
    ),
    MultipleChoice(
        key="03.maintenance",
        prompt=(
            "Every monitored feature's PSI stays below 0.1 month after month, yet accuracy on the labels that "
            "arrive keeps falling. What is the likeliest cause?"
        ),
        options=(
            Option(
                "Covariate drift that PSI missed, because PSI is too coarse to see small shifts.",
                False,
                "PSI watches each feature's own distribution, and all of them look stable. A shift in how features "
                "move together could slip past per-feature monitors, but with every input stable and a steady fall "
                "in accuracy, a changed link to the outcome is the likelier cause.",
            ),
            Option(
                "Noise: accuracy always wanders a little from one month to the next.",
                False,
                "A steady fall month after month is not noise; check it against the standard error of the "
                "monthly accuracy before you wave it away.",
            ),
            Option(
                "Concept drift: the link between features and outcome changed.",
                True,
                "Feature monitors watch the inputs, and concept drift leaves them alone. Only accuracy on fresh "
                "labels shows it, which is why you monitor both.",
            ),
        ),
    ),
)

#: One self-assessment question per challenge (lesson 04's learning path), keyed by its section.
ASSESSMENT = (
    MultipleChoice(
        key="03.hardware-limits",
        prompt="Your laptop cannot finish a search overnight. The same code on a rented Dask cluster needs ...",
        options=(
            Option("A scheduler address and the data where the workers can read it", True),
            Option("A rewrite with Dask's own estimators and data frames", False),
            Option("A GPU on every worker", False),
        ),
    ),
    MultipleChoice(
        key="03.cost",
        prompt=(
            "Three models differ in accuracy by less than the test set's noise; their costs per million predictions "
            "differ tenfold. Which do you deploy?"
        ),
        options=(
            Option("The most accurate one", False),
            Option("The one with the most parameters, since it has the most room to grow with the data", False),
            Option("The cheapest one whose accuracy the others do not beat beyond noise", True),
        ),
    ),
    MultipleChoice(
        key="03.maintenance",
        prompt="Feature distributions (PSI) are stable, but accuracy drops as labels arrive. This is ...",
        options=(
            Option("Covariate drift: retrain on the new feature values as soon as they arrive", False),
            Option("Concept drift: the relation between features and outcome changed", True),
            Option("A false alarm: PSI says nothing moved", False),
        ),
    ),
)

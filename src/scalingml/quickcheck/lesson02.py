"""Lesson 02 (model complexity). ``CHECKS``: the quick checks closing its sections (overfitting, interpretability,
training time).

``ASSESSMENT``: one question per challenge for lesson 04's self-assessment (its learning path).
"""

from scalingml.quickcheck.model import MultipleChoice, Option

CHECKS = (
    MultipleChoice(
        key="02.overfitting",
        prompt=(
            "You try 200 hyper-parameter settings with 5-fold cross-validation and report the best mean CV score "
            "as the model's accuracy. That number is…"
        ),
        options=(
            Option(
                "an unbiased estimate: cross-validation never scores a model on the rows it was trained on.",
                False,
                "Each score is honest for one setting, but picking the maximum of 200 noisy scores favours the "
                "settings that were lucky on these folds.",
            ),
            Option(
                "pessimistic, because each fold trains on only 80% of the rows and so underfits a little.",
                False,
                "Training on fewer rows does pull each score down a little, but choosing the maximum of many "
                "scores pushes the other way; only held-out rows tell you where you stand.",
            ),
            Option(
                "optimistic: the selection used those folds, so score the chosen model on held-out rows "
                "(or nested CV).",
                True,
                "The best of many noisy estimates is biased upwards, and more so the more settings you try. Rows "
                "that played no part in the choice (a held-out test set, or nested cross-validation) give the "
                "estimate to report.",
            ),
        ),
    ),
    MultipleChoice(
        key="02.interpretability",
        prompt=(
            "`income` causes churn; `spend` does not, but is strongly correlated with `income`. "
            "What can permutation importance report?"
        ),
        options=(
            Option(
                "Importance shared between them, or even credited to `spend`.",
                True,
                "The model can use either; permuting one leaves its twin to carry the signal (so both can look "
                "unimportant) and creates rows that never occur. Group correlated features, and never read "
                "importance as cause.",
            ),
            Option(
                "Importance for `income` only, because permutation importance measures causes.",
                False,
                "It measures how much the *model* relies on a feature, and a model may rely on a correlated "
                "stand-in as well as on the cause.",
            ),
            Option(
                "Zero for both, because they cancel out.",
                False,
                "They do not cancel; but permuting one while its twin stays can hide much of their joint importance.",
            ),
        ),
    ),
    MultipleChoice(
        key="02.training-time",
        prompt=(
            "You timed fits at 1,000 to 8,000 rows and a power law fits them with R² = 0.6. "
            "What may you say about a fit on 1,000,000 rows?"
        ),
        options=(
            Option(
                "Nothing reliable yet: measure larger sizes until the fit is good.",
                True,
                "A forecast is only as good as the fit and the distance. Time a few larger sizes (with BLAS threads "
                "fixed), forecast only a few times beyond them, then check the forecast.",
            ),
            Option(
                "The law forecasts it: R² describes the points already measured, not the forecast.",
                False,
                "A poor fit means the exponent is uncertain, and an error in the exponent multiplies with distance: "
                "125× beyond the data, a small error becomes a large one.",
            ),
            Option(
                "1,000,000 / 8,000 = 125 times the time of the largest fit.",
                False,
                "That assumes an exponent of exactly 1. Trees grow like n·log n, kernel methods like n² or worse.",
            ),
        ),
    ),
)

#: One self-assessment question per challenge (lesson 04's learning path), keyed by its section.
ASSESSMENT = (
    MultipleChoice(
        key="02.overfitting",
        prompt="Training accuracy 0.99, cross-validated accuracy 0.75. What is happening, and what do you do?",
        options=(
            Option("Underfitting: add more features", False),
            Option("Data leakage: the cross-validation must be wrong, since the gap is so large", False),
            Option("Overfitting: reduce complexity, chosen by cross-validation", True),
        ),
    ),
    MultipleChoice(
        key="02.interpretability",
        prompt=(
            "You need the most important features of a boosted model and of a linear model, compared the same way. Use "
            "..."
        ),
        options=(
            Option("Permutation importance on held-out rows, the same way for both models", True),
            Option("The linear model's coefficients and the trees' split counts", False),
            Option("The correlation of each feature with the target", False),
        ),
    ),
    MultipleChoice(
        key="02.training-time",
        prompt="Fit time grows like n^2. The data grows 4 times. The fit takes about ...",
        options=(
            Option("4 times longer, as the data grows", False),
            Option("8 times longer: twice the growth of the data", False),
            Option("16 times longer", True),
        ),
    ),
)

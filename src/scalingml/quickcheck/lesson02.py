"""Quick checks for lesson 02 (model complexity): overfitting, interpretability, training time."""

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
                "an unbiased estimate: cross-validation never scores on training rows.",
                False,
                "Each score is honest for one setting, but picking the maximum of 200 noisy scores favours the "
                "settings that were lucky on these folds.",
            ),
            Option(
                "optimistic: the selection used those folds, so score the chosen model on a held-out test set "
                "(or use nested cross-validation).",
                True,
                "The best of many noisy estimates is biased upwards, and more so the more settings you try. Rows "
                "that played no part in the choice give the estimate to report.",
            ),
            Option(
                "pessimistic, because each fold trains on only 80% of the rows.",
                False,
                "Training on fewer rows does pull each score down a little, but choosing the maximum of many "
                "scores pushes the other way; only held-out rows tell you where you stand.",
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
                "Importance for `income` only: it measures causes.",
                False,
                "It measures how much the *model* relies on a feature, and a model may rely on a correlated "
                "stand-in as well as on the cause.",
            ),
            Option(
                "Importance shared between them, or even credited to `spend`.",
                True,
                "The model can use either; permuting one leaves its twin to carry the signal (so both can look "
                "unimportant) and creates rows that never occur. Group correlated features, and never read "
                "importance as cause.",
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
                "The law forecasts it; the R² does not matter for a forecast.",
                False,
                "A poor fit means the exponent is uncertain, and an error in the exponent multiplies with distance: "
                "125× beyond the data, a small error becomes a large one.",
            ),
            Option(
                "Nothing reliable yet: measure larger sizes until the fit is good, then forecast a few times beyond.",
                True,
                "A forecast is only as good as the fit and the distance. Time a few larger sizes (with BLAS threads "
                "fixed) and forecast a small step ahead, then check the forecast.",
            ),
            Option(
                "1,000,000 / 8,000 = 125 times the time of the largest fit.",
                False,
                "That assumes an exponent of exactly 1. Trees grow like n·log n, kernel methods like n² or worse.",
            ),
        ),
    ),
)

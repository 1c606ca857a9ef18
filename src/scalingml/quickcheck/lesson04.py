"""Lesson 04 (talent). ``CHECKS``: the quick checks closing its sections (skill gap, retention, training).

``ASSESSMENT``: one question per challenge for lesson 04's self-assessment (its learning path).
"""

from scalingml.quickcheck.model import MultipleChoice, Option

CHECKS = (
    MultipleChoice(
        key="04.skill-gap",
        prompt=(
            "A colleague selects the 20 best of 5,000 features on all rows, then cross-validates, and reports 0.70 "
            "accuracy on labels that are fair coin flips. Why?"
        ),
        options=(
            Option(
                "Luck: another set of folds, or another seed, would give about 0.5.",
                False,
                "With selection outside the folds the score stays high whatever the folds: the leak is built in, not "
                "drawn at random.",
            ),
            Option(
                "Leakage: the selection saw the labels of the rows each fold is later scored on.",
                True,
                "Put the selection inside a `Pipeline` so that each fold selects on its own training rows; on coin "
                "flips the score then falls to about 0.5.",
            ),
            Option(
                "Some of the 5,000 features really predict the coin.",
                False,
                "Fair coin flips cannot be predicted from anything: no model scores above 0.5 on new rows.",
            ),
        ),
    ),
    MultipleChoice(
        key="04.retention",
        prompt="You set `random_state=0` everywhere and get accuracy 0.83 on every run. What have you shown?",
        options=(
            Option(
                "That it is repeatable: the same code, data and versions give 0.83 again.",
                True,
                "A seed makes a number repeatable, not truer: a colleague with the same code, data and versions gets "
                "0.83 too. Report the spread over several seeds or folds, and log the data hash, code hash and "
                "versions with the seed.",
            ),
            Option(
                "That the model's accuracy is 0.83: every run agrees, so there is no doubt left.",
                False,
                "You have shown one draw of the split and the estimator's randomness, repeated. Other seeds give "
                "other values around the truth.",
            ),
            Option(
                "Nothing: seeds do not affect scikit-learn models.",
                False,
                "Splits, forests, boosting subsamples and SGD all draw random numbers; without a seed, each run "
                "differs.",
            ),
        ),
    ),
    MultipleChoice(
        key="04.training",
        prompt=(
            "A default `HistGradientBoostingClassifier` scores within noise of the best of 50 tuned candidates on "
            "held-out rows. What does that tell the team?"
        ),
        options=(
            Option(
                "Tune harder: 500 candidates instead of 50 will find the gain that 50 missed.",
                False,
                "More candidates chase more noise in the validation score; the held-out score says the gain, if any, "
                "is too small to see here.",
            ),
            Option(
                "Tuning never helps gradient boosting.",
                False,
                "One dataset and one budget cannot show 'never'; it shows only that here the gain is within noise.",
            ),
            Option(
                "For this data and budget, the default is as good as tuning.",
                True,
                "Good defaults close much of the skill gap: spend the time elsewhere. The conclusion is conditional: "
                "other data, more rows or a different metric may still reward tuning, so measure before spending "
                "days on it.",
            ),
        ),
    ),
)

#: One self-assessment question per challenge (lesson 04's learning path), keyed by its section.
ASSESSMENT = (
    MultipleChoice(
        key="04.skill-gap",
        prompt="Selecting the 20 best features on all rows, then cross-validating, gives a score that is ...",
        options=(
            Option("Too optimistic: select inside the Pipeline", True),
            Option("Honest, because the folds are still separate", False),
            Option("Too pessimistic, because fewer features are used", False),
        ),
    ),
    MultipleChoice(
        key="04.retention",
        prompt="The truck factor counts ...",
        options=(
            Option("The fewest people who together made more than half of the commits", False),
            Option("The fewest people whose departure leaves most files without anyone who knows them", True),
            Option("The people who wrote more lines than anyone else", False),
        ),
    ),
    MultipleChoice(
        key="04.training",
        prompt="Before tuning hyper-parameters for a day, you should ...",
        options=(
            Option("Run a grid over every parameter at once, then keep the setting with the best test score", False),
            Option("Switch to a deep network, which needs less tuning", False),
            Option("Measure the default model and the tuning budget needed to beat it beyond noise", True),
        ),
    ),
)

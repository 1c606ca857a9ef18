"""A self-assessment across the course: a short diagnostic whose answers become a personal learning path.

The question bank and the scoring live here (tested without any widget); :func:`assessment_widget` only
wraps them in ipywidgets for the lesson. Every question belongs to one section of one lesson; a wrong answer,
"not sure" or no answer puts that section on the path, in course order.

>>> path = learning_path({"leakage": 1, "truck_factor": 1})
>>> "04 · 1 Skill gap" in describe_path(path)
False
>>> path.loc[path["question"] == "truck_factor", "status"].item()
'wrong'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from scalingml.errors import ScalingmlError

NOT_SURE = "not sure"


class BadAnswerError(ScalingmlError, ValueError):
    """An answer to a question that is not in the bank, or an option number the question does not have."""


@dataclass(frozen=True)
class Question:
    """A multiple-choice question; ``correct`` indexes ``options``. "not sure" is always offered last."""

    id: str
    lesson: str
    section: str
    text: str
    options: tuple[str, ...]
    correct: int

    @property
    def choices(self) -> tuple[str, ...]:
        return (*self.options, NOT_SURE)


QUESTIONS: tuple[Question, ...] = (
    Question(
        "validation",
        "01 data management",
        "1 Quality",
        "A supplier silently switches a column from euros to cents. What catches it before training?",
        (
            "Cross-validation of the next model",
            "A schema with value checks, run on every new extract",
            "Dropping the rows whose values are outliers",
        ),
        1,
    ),
    Question(
        "out_of_core",
        "01 data management",
        "2 Volume",
        "A table no longer fits in memory. What is the first thing to try?",
        (
            "Process it in chunks or partitions (out-of-core)",
            "Rent a machine with more memory",
            "Train on a random 10% sample",
        ),
        0,
    ),
    Question(
        "fuzzy_join",
        "01 data management",
        "3 Variety",
        "Two sources spell customer names differently. How do you join them?",
        (
            "An exact join on the lower-cased name",
            "A join on the postcode alone",
            "A fuzzy join on normalised names, then check the doubtful matches",
        ),
        2,
    ),
    Question(
        "overfitting",
        "02 model complexity",
        "1 Overfitting",
        "Training accuracy 0.99, cross-validated accuracy 0.75. What is happening, and what do you do?",
        (
            "Underfitting: add more features",
            "Overfitting: reduce complexity, chosen by cross-validation",
            "Data leakage: the cross-validation is wrong",
        ),
        1,
    ),
    Question(
        "importance",
        "02 model complexity",
        "2 Interpretability",
        "You need the most important features of a boosted model and of a linear model, compared the same way. Use ...",
        (
            "The linear model's coefficients and the trees' split counts",
            "Permutation importance on held-out rows, for both models",
            "The correlation of each feature with the target",
        ),
        1,
    ),
    Question(
        "fit_time",
        "02 model complexity",
        "3 Training time",
        "Fit time grows like n^2. The data grows 4 times. The fit takes about ...",
        ("4 times longer", "8 times longer", "16 times longer"),
        2,
    ),
    Question(
        "cloud",
        "03 infrastructure",
        "1 Hardware limits",
        "Your laptop cannot finish a search overnight. The same code on a rented Dask cluster needs ...",
        (
            "A rewrite with Dask's own estimators",
            "A scheduler address and the data where the workers can read it",
            "A GPU on every worker",
        ),
        1,
    ),
    Question(
        "cost",
        "03 infrastructure",
        "2 Cost",
        "Three models differ in accuracy by less than the test set's noise; their costs per million predictions differ "
        "tenfold. Which do you deploy?",
        (
            "The most accurate one",
            "The cheapest one whose accuracy the others do not beat beyond noise",
            "The one with the most parameters, for future growth",
        ),
        1,
    ),
    Question(
        "drift",
        "03 infrastructure",
        "3 Maintenance",
        "Feature distributions (PSI) are stable, but accuracy drops as labels arrive. This is ...",
        (
            "Covariate drift: retrain on new features",
            "Concept drift: the relation between features and outcome changed",
            "A false alarm: PSI says nothing moved",
        ),
        1,
    ),
    Question(
        "leakage",
        "04 talent",
        "1 Skill gap",
        "Selecting the 20 best features on all rows, then cross-validating, gives a score that is ...",
        (
            "Honest, because the folds are still separate",
            "Too optimistic: select inside the Pipeline",
            "Too pessimistic, because fewer features are used",
        ),
        1,
    ),
    Question(
        "truck_factor",
        "04 talent",
        "2 Retention",
        "The truck factor counts ...",
        (
            "The fewest people whose departure leaves most files without anyone who knows them",
            "The fewest people who made more than half of the commits",
            "The people who wrote more lines than anyone else",
        ),
        0,
    ),
    Question(
        "defaults",
        "04 talent",
        "3 Training",
        "Before tuning hyper-parameters for a day, you should ...",
        (
            "Measure the default model and the tuning budget needed to beat it beyond noise",
            "Run a grid over every parameter, then keep the best test score",
            "Switch to a deep network, which needs less tuning",
        ),
        0,
    ),
    Question(
        "pseudonyms",
        "05 regulation and ethics",
        "1 Privacy",
        "You share a customer table with an analytics partner. The customer ids should be ...",
        (
            "Kept as they are: ids are not personal data",
            "Hashed with SHA-256, which cannot be reversed",
            "Replaced by keyed pseudonyms (HMAC), with the key kept by you",
        ),
        2,
    ),
    Question(
        "fairness",
        "05 regulation and ethics",
        "2 Bias",
        "A model's accuracy is the same for two groups. Is it fair?",
        (
            "Yes: equal accuracy is equal treatment",
            "Not necessarily: compare selection and error rates per group in an audit",
            "Yes, if the group column is not a feature",
        ),
        1,
    ),
    Question(
        "surrogate",
        "05 regulation and ethics",
        "3 Transparency",
        "A small tree mimics a large model for a regulator. What must you report with it?",
        (
            "Its fidelity: how often it agrees with the model it explains",
            "Its accuracy on the training rows",
            "Nothing: a tree explains itself",
        ),
        0,
    ),
)

#: A learner who knows the data lessons but guesses elsewhere: what the lesson prints when no widget is shown.
EXAMPLE_ANSWERS: dict[str, int] = {
    "validation": 1,
    "out_of_core": 0,
    "fuzzy_join": 2,
    "overfitting": 1,
    "importance": 0,
    "fit_time": 0,
    "cloud": 1,
    "cost": 0,
    "drift": 1,
    "leakage": 0,
    "truck_factor": 1,
    "defaults": 0,
    "pseudonyms": 1,
    "fairness": 1,
    "surrogate": 0,
}


def grade(answers: Mapping[str, int | None], bank: tuple[Question, ...] = QUESTIONS) -> pd.DataFrame:
    """One row per question: ``[question, lesson, section, status]`` with status correct/wrong/not sure/unanswered.

    ``answers`` maps a question id to the index of the chosen option (``len(options)`` means "not sure";
    ``None`` or a missing id means unanswered).
    """
    by_id = {q.id: q for q in bank}
    unknown = sorted(set(answers) - set(by_id))
    if unknown:
        raise BadAnswerError(f"no question with id(s) {unknown}; the ids are {sorted(by_id)}")
    rows = []
    for question in bank:
        choice = answers.get(question.id)
        if choice is None:
            status = "unanswered"
        elif isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < len(question.choices):
            raise BadAnswerError(
                f"question {question.id!r} has options 0..{len(question.choices) - 1} "
                f"({len(question.options)} means '{NOT_SURE}'); got {choice!r}"
            )
        elif choice == len(question.options):
            status = NOT_SURE
        else:
            status = "correct" if choice == question.correct else "wrong"
        rows.append({"question": question.id, "lesson": question.lesson, "section": question.section, "status": status})
    return pd.DataFrame(rows)


def learning_path(answers: Mapping[str, int | None], bank: tuple[Question, ...] = QUESTIONS) -> pd.DataFrame:
    """The sections to revisit, in course order: every question not answered correctly."""
    graded = grade(answers, bank)
    path = graded[graded["status"] != "correct"]
    return path.sort_values(["lesson", "section"], kind="stable").reset_index(drop=True)


def describe_path(path: pd.DataFrame) -> str:
    """The learning path as text, one line per lesson with its sections.

    >>> describe_path(learning_path({q.id: q.correct for q in QUESTIONS}))
    'Nothing to revisit: every answer was right. Try the assignments of the lessons you have not done.'
    """
    if path.empty:
        return "Nothing to revisit: every answer was right. Try the assignments of the lessons you have not done."
    sections = path.drop_duplicates(["lesson", "section"])
    lines = [
        f"Your learning path ({len(sections)} section(s) to revisit, from {len(path)} question(s) not answered "
        "correctly, in course order):"
    ]
    for lesson, group in path.groupby("lesson", sort=True):
        number = lesson.split()[0]
        sections = ", ".join(
            f"{number} · {row.section} ({row.status})" for row in group.drop_duplicates("section").itertuples()
        )
        lines.append(f"- lesson {lesson}: {sections}")
    return "\n".join(lines)


def assessment_widget(bank: tuple[Question, ...] = QUESTIONS):
    """An ipywidgets form: one set of radio buttons per question and a button that shows the learning path.

    Returns the container; ``container.children[-1]`` is the HTML widget the path is written to, and
    ``container.answers()`` reads the current answers (for tests and for reuse).
    """
    import html

    import ipywidgets as widgets

    radios = {
        q.id: widgets.RadioButtons(options=list(q.choices), value=None, description="", layout={"width": "auto"})
        for q in bank
    }
    rows = []
    for question in bank:
        rows.append(widgets.HTML(f"<b>{html.escape(question.text)}</b>"))
        rows.append(radios[question.id])
    button = widgets.Button(description="Show my learning path", button_style="primary")
    result = widgets.HTML()

    def answers() -> dict[str, int | None]:
        by_id = {q.id: q for q in bank}
        chosen = {}
        for qid, radio in radios.items():
            chosen[qid] = None if radio.value is None else by_id[qid].choices.index(radio.value)
        return chosen

    def show(_):
        text = describe_path(learning_path(answers(), bank))
        result.value = "<pre>" + html.escape(text) + "</pre>"

    button.on_click(show)
    container = widgets.VBox([*rows, button, result])
    container.answers = answers
    return container

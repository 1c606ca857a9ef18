"""A self-assessment across the course: a short diagnostic whose answers become a personal learning path.

The questions are quick-check multiple choices (:class:`scalingml.quickcheck.MultipleChoice`), one per challenge
section, kept with each lesson's quick checks (``ASSESSMENT`` in the module its :mod:`scalingml.lessons` entry
names) and keyed by the section they send a learner to (``"04.skill-gap"``). The scoring lives here (tested
without any widget); :func:`assessment_widget` only wraps it in ipywidgets for the lesson. A wrong answer,
"not sure" or no answer puts that section on the path, in course order.

>>> bank = {question.key: question for question in QUESTIONS}
>>> path = learning_path({"04.skill-gap": bank["04.skill-gap"].right_letter,
...                       "04.retention": bank["04.retention"].wrong_letters[0]})
>>> "04 · 1 Skill gap" in describe_path(path)
False
>>> path.loc[path["question"] == "04.retention", "status"].item()
'wrong'
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from scalingml import lessons
from scalingml.quickcheck import MultipleChoice, QuickCheckError, lesson_module

NOT_SURE = "not sure"

#: The course's bank: every lesson's ``ASSESSMENT``, in course order.
QUESTIONS: tuple[MultipleChoice, ...] = tuple(
    question for lesson in lessons.LESSONS for question in lesson_module(lesson).ASSESSMENT
)

#: The sections the example learner answers wrongly (with the first wrong option); every other answer is right.
EXAMPLE_WRONG = ("02.interpretability", "02.training-time", "03.cost", "04.skill-gap", "04.retention", "05.privacy")

#: A learner who knows the data lessons but guesses elsewhere: what the lesson prints when no widget is shown.
#: The letters are read from the questions, so reordering a question's options keeps this learner's path.
EXAMPLE_ANSWERS: dict[str, str] = {
    question.key: question.wrong_letters[0] if question.key in EXAMPLE_WRONG else question.right_letter
    for question in QUESTIONS
}


def choices(question: MultipleChoice) -> tuple[str, ...]:
    """What the form offers for ``question``: its options' texts, then "not sure"."""
    return (*(option.text for option in question.options), NOT_SURE)


def status(question: MultipleChoice, answer: str | int | None) -> str:
    """correct, wrong, not sure or unanswered; ``answer`` is what the question's options take (a letter, a number
    from 1, an option's text), "not sure" or None."""
    if answer is None:
        return "unanswered"
    if answer == NOT_SURE:
        return NOT_SURE
    try:
        chosen = question.option(answer)
    except QuickCheckError:
        letters = ", ".join(question.letters)
        raise QuickCheckError(
            f"{answer!r} is not an answer to {question.key}: give one of {letters}, {NOT_SURE!r}, or None (unanswered)."
        ) from None
    return "correct" if chosen.correct else "wrong"


def grade(answers: Mapping[str, str | int | None], bank: tuple[MultipleChoice, ...] = QUESTIONS) -> pd.DataFrame:
    """One row per question: ``[question, lesson, section, status]`` with status correct/wrong/not sure/unanswered.

    ``answers`` maps a question's key to the option chosen (see :func:`status`); a missing key means unanswered.
    Each question's key names a section of :mod:`scalingml.lessons` (``"01.quality"``).
    """
    keys = [question.key for question in bank]
    unknown = sorted(set(answers) - set(keys))
    if unknown:
        raise QuickCheckError(f"No self-assessment question {', '.join(map(repr, unknown))}; known: {', '.join(keys)}.")
    rows = []
    for question in bank:
        section = lessons.section(question.key)
        rows.append(
            {
                "question": question.key,
                "lesson": section.lesson.label,
                "section": f"{section.number} {section.challenge}",
                "status": status(question, answers.get(question.key)),
            }
        )
    return pd.DataFrame(rows)


def learning_path(
    answers: Mapping[str, str | int | None], bank: tuple[MultipleChoice, ...] = QUESTIONS
) -> pd.DataFrame:
    """The sections to revisit, in course order: every question not answered correctly."""
    graded = grade(answers, bank)
    path = graded[graded["status"] != "correct"]
    return path.sort_values(["lesson", "section"], kind="stable").reset_index(drop=True)


def describe_path(path: pd.DataFrame) -> str:
    """The learning path as text, one line per lesson with its sections.

    >>> describe_path(learning_path({q.key: q.right_letter for q in QUESTIONS}))
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


def assessment_widget(bank: tuple[MultipleChoice, ...] = QUESTIONS):
    """An ipywidgets form: one set of radio buttons per question and a button that shows the learning path.

    Returns the container; ``container.children[-1]`` is the HTML widget the path is written to, and
    ``container.answers()`` reads the current answers (a letter, "not sure" or None per key; for tests and reuse).
    """
    import html

    import ipywidgets as widgets

    radios = {
        q.key: widgets.RadioButtons(options=list(choices(q)), value=None, description="", layout={"width": "auto"})
        for q in bank
    }
    rows = []
    for question in bank:
        rows.append(widgets.HTML(f"<b>{html.escape(question.prompt)}</b>"))
        rows.append(radios[question.key])
    button = widgets.Button(description="Show my learning path", button_style="primary")
    result = widgets.HTML()

    def answers() -> dict[str, str | None]:
        chosen = {}
        for question in bank:
            value = radios[question.key].value
            offered = choices(question)
            chosen[question.key] = None if value is None else (*question.letters, NOT_SURE)[offered.index(value)]
        return chosen

    def show(_):
        text = describe_path(learning_path(answers(), bank))
        result.value = "<pre>" + html.escape(text) + "</pre>"

    button.on_click(show)
    container = widgets.VBox([*rows, button, result])
    container.answers = answers
    return container

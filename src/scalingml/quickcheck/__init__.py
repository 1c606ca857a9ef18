"""Quick checks: a short ungraded question closing each section of a lesson, with an explanation per answer.

In a lesson::

    from scalingml.quickcheck import quick_check
    quick_check("02.overfitting")              # a multiple-choice panel
    quick_check("00.first-experiment", k=fit.k, r2=fit.r2)  # a number to estimate, against this run's fit

Without widgets (a terminal, a notebook viewer), answer in code with the panel's key and your letter, e.g.
``check_answer("02.overfitting", "a")``.
The questions live in each lesson's module beside this file (``lessonNN.py``, named by its entry in
:mod:`scalingml.lessons`): ``CHECKS``, the quick checks closing its sections, and ``ASSESSMENT``, one question per
challenge for lesson 04's self-assessment. The logic is :mod:`scalingml.quickcheck.model`.

>>> print(check_answer("03.hardware-limits", 800).verdict)
close
>>> check_answer("02.overfitting", "z")
Traceback (most recent call last):
...
scalingml.quickcheck.model.QuickCheckError: 'z' is not an option of 02.overfitting: answer with one of a, b, c.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from scalingml import lessons
from scalingml.quickcheck.model import Estimate, Feedback, MultipleChoice, Option, Question, QuickCheckError


def lesson_module(lesson: lessons.Lesson) -> ModuleType:
    """The module holding ``lesson``'s ``CHECKS`` and ``ASSESSMENT`` (its registry entry names it)."""
    return importlib.import_module(lesson.quickcheck)


QUESTIONS: dict[str, Question] = {
    question.key: question for lesson in lessons.LESSONS for question in lesson_module(lesson).CHECKS
}

__all__ = [
    "QUESTIONS",
    "Estimate",
    "Feedback",
    "MultipleChoice",
    "Option",
    "QuickCheckError",
    "check_answer",
    "lesson_module",
    "question",
    "quick_check",
]


def question(key: str) -> Question:
    """The quick check named ``key`` (``"NN.section"``); an unknown key lists the lesson's checks."""
    if key in QUESTIONS:
        return QUESTIONS[key]
    lesson = str(key).split(".")[0]
    same_lesson = [name for name in QUESTIONS if name.startswith(f"{lesson}.")] or list(QUESTIONS)
    raise QuickCheckError(f"No quick check {key!r}; known: {', '.join(same_lesson)}.")


def asked(key: str, measured: dict[str, float]) -> tuple[Question, dict[str, float]]:
    """The question ``key`` asks for these measurements (an estimate may give way to a question about its verdict),
    and the measurements that question takes."""
    original = question(key)
    shown = original.asked(measured)
    return shown, (measured if shown is original else {})


def check_answer(key: str, answer: str | float, **measured: float) -> Feedback:
    """Answer a quick check in code: a letter (or option number) for multiple choice, a number for an estimate."""
    shown, taken = asked(key, measured)
    return shown.evaluate(answer, taken)


def quick_check(key: str, **measured: float):
    """The panel for ``key``: choices or a slider, a Check button, and the explanation of the answer given."""
    from scalingml.quickcheck.widget import QuickCheckPanel

    shown, taken = asked(key, measured)
    return QuickCheckPanel(shown, taken)

"""Quick checks: the questions, and the logic that answers them (no widgets here).

A quick check closes each section of a lesson. It is formative: nothing is graded or recorded.
Two kinds exist:

* :class:`MultipleChoice`: every option carries its own explanation, shown when it is chosen,
  so a wrong choice teaches something too.
* :class:`Estimate`: a number to estimate. The true value may be fixed (800 MB for a float64
  table of a million rows and 100 columns) or computed from what the lesson just measured
  (``truth`` receives the values the notebook passes in), so the answer is the one of *this* run.

>>> question = MultipleChoice(
...     key="00.demo",
...     prompt="2 + 2?",
...     options=(Option("4", True, "Arithmetic."), Option("5", False, "Off by one.")),
... )
>>> question.evaluate("b").correct, question.evaluate("b").explanation
(False, 'Off by one. Try another option.')
>>> question.right_letter, question.wrong_letters
('a', ('b',))
>>> doubling = Estimate(key="00.double", prompt="2 × 21?", unit="", truth=lambda m: 42.0, explanation="2 × 21 = 42.")
>>> doubling.evaluate(40).verdict, doubling.evaluate(100).verdict
('close', 'too high')
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from scalingml.errors import ScalingmlError


class QuickCheckError(ScalingmlError, ValueError):
    """An unknown quick check, an answer that is not one of the options, or a missing measurement."""


@dataclass(frozen=True)
class Option:
    """One answer of a multiple-choice question, and why it is right or wrong.

    A quick check explains every option (``tests/test_quickcheck.py`` checks it); a self-assessment question
    (a lesson's ``ASSESSMENT``) only sends a wrong answer to a section, and may leave ``why`` empty.
    """

    text: str
    correct: bool
    why: str = ""


@dataclass(frozen=True)
class Feedback:
    """What a learner sees after answering: a verdict and the explanation of that answer."""

    correct: bool
    verdict: str
    explanation: str
    more: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [f"{self.verdict.capitalize()}. {self.explanation}", *self.more]
        return "\n".join(lines)


@dataclass(frozen=True)
class MultipleChoice:
    """A question with lettered options, exactly one of them correct."""

    key: str
    prompt: str
    options: tuple[Option, ...]

    def __post_init__(self) -> None:
        if sum(option.correct for option in self.options) != 1 or len(self.options) < 2:
            raise QuickCheckError(f"{self.key}: a multiple choice needs two or more options, exactly one correct.")

    def asked(self, measured: Mapping[str, float] | None = None) -> MultipleChoice:
        """The question to show: a multiple choice is always itself."""
        return self

    @property
    def letters(self) -> tuple[str, ...]:
        return tuple(string.ascii_lowercase[: len(self.options)])

    @property
    def right_letter(self) -> str:
        """The letter of the correct option."""
        return next(letter for letter, option in zip(self.letters, self.options, strict=True) if option.correct)

    @property
    def wrong_letters(self) -> tuple[str, ...]:
        """The letters of the wrong options, in order."""
        return tuple(letter for letter, option in zip(self.letters, self.options, strict=True) if not option.correct)

    def option(self, answer: str | float) -> Option:
        """The option named by its letter (``"b"``), its number from 1 (``2``) or its exact text."""
        text = str(answer).strip()
        if isinstance(answer, bool):
            text = ""
        elif text.isdigit() and 1 <= int(text) <= len(self.options):
            return self.options[int(text) - 1]
        if text.lower() in self.letters:
            return self.options[self.letters.index(text.lower())]
        for option in self.options:
            if option.text == text:
                return option
        letters = ", ".join(self.letters)
        raise QuickCheckError(f"{answer!r} is not an option of {self.key}: answer with one of {letters}.")

    def evaluate(self, answer: str | float, measured: Mapping[str, float] | None = None) -> Feedback:
        """Right or not, with the chosen option's explanation; a right answer also shows the others'."""
        if measured:
            raise QuickCheckError(f"{self.key} takes no measurement, not {', '.join(measured)}.")
        chosen = self.option(answer)
        if not chosen.correct:
            return Feedback(False, "not quite", f"{chosen.why} Try another option.")
        others = tuple(
            f"({letter}) {option.text} — {option.why}"
            for letter, option in zip(self.letters, self.options, strict=True)
            if option is not chosen
        )
        return Feedback(True, "right", chosen.why, others)

    def text(self) -> str:
        """The question as plain text (for a notebook opened without widgets)."""
        lines = [self.prompt]
        lines += [f"  ({letter}) {option.text}" for letter, option in zip(self.letters, self.options, strict=True)]
        return "\n".join(lines)


@dataclass(frozen=True)
class Estimate:
    """A number to estimate; close means within a factor ``tolerance`` of the truth (either side).

    ``truth`` maps the notebook's measurements to the true value; ``explanation`` is a format
    string that may use ``{truth}``, ``{guess}`` and every measurement by name. ``low``/``high``
    bound the slider (a log scale when ``log`` is true).

    A check follows the lesson's verdict: where ``unusable`` says why this run's measurements
    support no estimate (the lesson printed "inconclusive"), :meth:`asked` gives ``instead``, a
    question about that verdict, rather than asking for a number the lesson just refused to give.
    """

    key: str
    prompt: str
    unit: str
    truth: Callable[[Mapping[str, float]], float]
    explanation: str
    needs: tuple[str, ...] = ()
    tolerance: float = 1.25
    low: float = 0.1
    high: float = 1000.0
    log: bool = True
    start: float | None = None
    hint_low: str = "Your estimate, {guess:.3g}, is lower."
    hint_high: str = "Your estimate, {guess:.3g}, is higher."
    unusable: Callable[[Mapping[str, float]], str | None] | None = None
    instead: MultipleChoice | None = None

    def __post_init__(self) -> None:
        if (self.unusable is None) != (self.instead is None):
            raise QuickCheckError(f"{self.key}: give both `unusable` and `instead`, or neither.")

    def asked(self, measured: Mapping[str, float] | None = None) -> Estimate | MultipleChoice:
        """This estimate, or ``instead`` when the measurements are :attr:`unusable` for one."""
        if self.unusable is not None and self.instead is not None and self.unusable(self.measurements(measured)):
            return self.instead
        return self

    def measurements(self, measured: Mapping[str, float] | None = None) -> dict[str, float]:
        """The measurements this check needs, as numbers; a missing, unknown or non-numeric one is an error."""
        measured = dict(measured or {})
        expected = ", ".join(f"{name}=..." for name in self.needs) or "no measurement"
        unknown = sorted(set(measured) - set(self.needs))
        if unknown:
            raise QuickCheckError(f"{self.key} takes {expected}, not {', '.join(unknown)}.")
        missing = [name for name in self.needs if name not in measured]
        if missing:
            raise QuickCheckError(
                f"{self.key} compares your estimate with what the lesson measured: pass {expected} "
                "(run the experiment cells above first)."
            )
        numbers = {}
        for name, value in measured.items():
            try:
                numbers[name] = float(value)
            except (TypeError, ValueError):
                raise QuickCheckError(f"{self.key}: {name} must be a number, not {value!r}.") from None
            if not math.isfinite(numbers[name]):
                raise QuickCheckError(f"{self.key}: {name} is {value!r}; rerun the experiment above.")
        if "r2" in numbers and not 0 <= numbers["r2"] <= 1:
            raise QuickCheckError(
                f"{self.key}: r2 is a coefficient of determination, between 0 and 1, not {measured['r2']!r}."
            )
        return numbers

    def true_value(self, measured: Mapping[str, float] | None = None) -> float:
        measured = self.measurements(measured)
        value = float(self.truth(measured))
        if not math.isfinite(value) or value <= 0:
            raise QuickCheckError(f"{self.key}: the measured value {value!r} is not positive; rerun the experiment.")
        return value

    def evaluate(self, answer: str | float, measured: Mapping[str, float] | None = None) -> Feedback:
        """``close`` within the tolerance factor, otherwise ``too low``/``too high``, with the explanation."""
        try:
            guess = float(answer)
        except (TypeError, ValueError):
            raise QuickCheckError(f"{self.key} expects a number, not {answer!r}.") from None
        if not math.isfinite(guess) or guess <= 0:
            raise QuickCheckError(f"{self.key} expects a positive number, not {answer!r}.")
        numbers = self.measurements(measured)
        truth = self.true_value(numbers)
        values = {**numbers, "truth": truth, "guess": guess}
        explanation = self.explanation.format(**values)
        ratio = guess / truth
        if 1 / self.tolerance <= ratio <= self.tolerance:
            return Feedback(True, "close", explanation)
        if ratio < 1:
            return Feedback(False, "too low", f"{self.hint_low.format(**values)} {explanation}")
        return Feedback(False, "too high", f"{self.hint_high.format(**values)} {explanation}")

    def text(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.prompt}{unit}"


Question = MultipleChoice | Estimate

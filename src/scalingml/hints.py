"""Tiered hints for the graded questions: a nudge first, then a near-solution; never the solution.

Each assignment keeps its hints in ``solutions/NAME/hints.json`` (``{"q1_tests": ["nudge",
"near-solution"], ...}``, keyed by the graded test cell); the release copies the file beside the
exercise, so a learner's notebook finds it in its own folder::

    from scalingml.hints import hint
    hint("q2")            # the nudge for question 2
    hint("q2", level=2)   # the near-solution

``scalingml check NOTEBOOK --hint`` prints them for the questions that fail.

>>> import json
>>> from scalingml.scratch import scratch_dir
>>> with scratch_dir("doctest") as folder:
...     _ = (Path(folder) / HINTS_FILE).write_text(json.dumps({"q1_tests": ["Think in fractions.", "Use mean()."]}))
...     hint_text("q1", folder=folder), hint_text("q1_tests", level=2, folder=folder)
('Think in fractions.', 'Use mean().')
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from scalingml.errors import ScalingmlError

HINTS_FILE = "hints.json"


class HintError(ScalingmlError, LookupError):
    """No hints file, an unknown question, or a level the question does not have; the message lists what exists."""


def load_hints(folder: str | os.PathLike | None = None) -> dict[str, list[str]]:
    """The hints of the assignment in ``folder`` (default: the current folder, where the notebook runs)."""
    path = Path(folder or os.getcwd()) / HINTS_FILE
    if not path.is_file():
        raise HintError(
            f"No {HINTS_FILE} in {path.parent}: open the assignment from its own folder "
            "(exercises/NAME or my-work/NAME), where the hints are released with it."
        )
    try:
        hints = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HintError(f"{path} is not valid JSON ({exc}): download a fresh copy of the exercise.") from None
    return {str(question): [str(text) for text in texts] for question, texts in hints.items()}


def question_id(question: str) -> str:
    """``"q2"``, ``"Q2"``, ``2`` or ``"q2_tests"`` to the graded cell's id ``"q2_tests"``."""
    text = str(question).strip().lower()
    text = f"q{text}" if text.isdigit() else text
    return text if text.endswith("_tests") else f"{text}_tests"


def hint_text(question: str, level: int = 1, folder: str | os.PathLike | None = None) -> str:
    """The hint at ``level`` (1 = a nudge, 2 = a near-solution) for ``question``."""
    hints = load_hints(folder)
    key = question_id(question)
    if key not in hints:
        known = ", ".join(k.removesuffix("_tests") for k in hints)
        raise HintError(f"No hints for {question!r}; this assignment has hints for: {known}.")
    levels = hints[key]
    if not 1 <= int(level) <= len(levels):
        raise HintError(f"{key.removesuffix('_tests')} has hint levels 1 to {len(levels)}, not {level}.")
    return levels[int(level) - 1]


def hint(question: str, level: int = 1, folder: str | os.PathLike | None = None) -> None:
    """Show the hint in the notebook (Markdown), or print it elsewhere; says whether a next level exists."""
    text = hint_text(question, level, folder)
    levels = len(load_hints(folder)[question_id(question)])
    more = f"\n\n*(More: `hint({question!r}, level={level + 1})`.)*" if level < levels else ""
    message = f"**Hint {level}/{levels} for {question_id(question).removesuffix('_tests')}:** {text}{more}"
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            display(Markdown(message))
            return
    except ImportError:  # pragma: no cover - IPython comes with JupyterLab
        pass
    print(message.replace("**", "").replace("*", ""))

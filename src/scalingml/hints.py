"""Tiered hints for the graded questions: a nudge first, a near-solution last; never the solution.

Each assignment keeps its hints in ``solutions/NAME/hints.json`` (``{"q1_tests": ["nudge", ...,
"near-solution"], ...}``, keyed by the graded test cell, 2 or 3 levels a question); the release copies
the file beside the exercise, so a learner's notebook finds it in its own folder::

    from scalingml.hints import hint
    hint("q2")            # level 1, the nudge for question 2; it says how many levels there are
    hint("q2", level=2)   # the next level; the last one is a near-solution

``scalingml check NOTEBOOK --hint [LEVEL]`` prints them for the questions that fail. One rule for both
(:func:`pick`): levels start at 1; asking past a question's last level shows the last, saying so.

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
import re
from pathlib import Path

from scalingml.errors import ScalingmlError

HINTS_FILE = "hints.json"
#: How many levels a question's hints have: a nudge, perhaps a step, a near-solution (tests/test_hints.py checks).
LEVELS = (2, 3)


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


def level_number(level: int | str) -> int:
    """``level`` as a hint level (a whole number from 1), or a :class:`HintError` saying what levels are.

    >>> level_number("2")
    2
    """
    try:
        asked = int(level)
    except (TypeError, ValueError):
        raise HintError(f"A hint level is a whole number from 1 (a nudge), not {level!r}.") from None
    if asked < 1:
        raise HintError(f"Hint levels start at 1 (a nudge), not {asked}; the last level is a near-solution.")
    return asked


def pick(levels: list[str], level: int | str) -> tuple[int, str]:
    """The level shown for a request, and a note when it is not the one asked for (the rule of every hint).

    >>> pick(["nudge", "near-solution"], 2), pick(["nudge", "near-solution"], 9)
    ((2, ''), (2, 'there is no level 9: this is the last'))
    """
    asked = level_number(level)
    if asked > len(levels):
        return len(levels), f"there is no level {asked}: this is the last"
    return asked, ""


def _levels(question: str, folder: str | os.PathLike | None) -> list[str]:
    hints = load_hints(folder)
    key = question_id(question)
    if key not in hints:
        known = ", ".join(k.removesuffix("_tests") for k in hints)
        raise HintError(f"No hints for {question!r}; this assignment has hints for: {known}.")
    return hints[key]


def plain(text: str) -> str:
    """A hint's Markdown as terminal text: no ``**``/``*`` emphasis, and ``$math$`` as plain symbols.

    >>> plain(r"**Fit** $\\log t = \\log a + k \\log n$, then *read* $k$ (`np.polyfit`)")
    'Fit log t = log a + k log n, then read k (`np.polyfit`)'
    >>> plain(r"$t = a\\,n^k$")
    't = a n^k'
    """
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    return re.sub(r"\$([^$]+)\$", lambda m: re.sub(r"\\(\w+)", r"\1", m.group(1).replace("\\,", " ")), text)


def hint_text(question: str, level: int = 1, folder: str | os.PathLike | None = None) -> str:
    """The hint at ``level`` (1 = a nudge, the last = a near-solution; past the last, the last) for ``question``."""
    levels = _levels(question, folder)
    return levels[pick(levels, level)[0] - 1]


def hint(question: str, level: int = 1, folder: str | os.PathLike | None = None) -> None:
    """Show the hint in the notebook (Markdown), or print it elsewhere; says how many levels there are."""
    levels = _levels(question, folder)
    shown, note = pick(levels, level)
    name = question_id(question).removesuffix("_tests")
    more = (
        f"\n\n*(More: `hint({question!r}, level={shown + 1})`.)*"
        if shown < len(levels)
        else f"\n\n*({note[0].upper() + note[1:] if note else 'This is the last level'}.)*"
    )
    message = f"**Hint {shown}/{len(levels)} for {name}:** {levels[shown - 1]}{more}"
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            display(Markdown(message))
            return
    except ImportError:  # pragma: no cover - IPython comes with JupyterLab
        pass
    print(plain(message))

"""The lessons of the course, said once: number, slug, title, challenges, and the files each one brings.

Everything that lists lessons reads :data:`LESSONS`: the quick checks (:mod:`scalingml.quickcheck`), lesson 04's
self-assessment (:mod:`scalingml.experiments.talent.learning_path`), and the tests that compare the registry with
the files on disk and with the outline tables of ``README.md`` and ``learner/README.md``. Adding a lesson is one
entry here plus the files it names (CONTRIBUTING.md, "Adding a lesson").

>>> lesson("02").name, lesson("02_model_complexity").title
('02_model_complexity', 'Model complexity')
>>> [section.key for section in lesson("01").sections]
['01.quality', '01.volume', '01.variety']
>>> section("04.skill-gap").heading
'1 · Skill gap'
>>> print(lesson("03").outline_row())
| 03 | infrastructure | hardware limits · cost · maintenance | `exercises/03_infrastructure` |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from scalingml.errors import ScalingmlError


class UnknownLessonError(ScalingmlError, LookupError):
    """A lesson or section that is not in the registry; the message lists the known ones."""


class LessonEntryError(ScalingmlError, ValueError):
    """A registry entry that breaks the conventions (number, slug, assignment name); the message says which."""


def lowercase_first(text: str) -> str:
    """``"Data management"`` as the outline writes it inside a sentence: ``"data management"``."""
    return text[:1].lower() + text[1:]


@dataclass(frozen=True)
class Section:
    """One challenge of a lesson: its numbered section ``## N · Name`` and the key its quick check uses."""

    lesson: Lesson
    number: int
    challenge: str

    @property
    def key(self) -> str:
        """``"03.hardware-limits"``: the lesson's number and the challenge's name, lower-case, words joined by ``-``."""
        return f"{self.lesson.number}.{self.challenge.lower().replace(' ', '-')}"

    @property
    def heading(self) -> str:
        """The section's heading in the notebook, without the ``## ``: ``"1 · Hardware limits"``."""
        return f"{self.number} · {self.challenge}"


@dataclass(frozen=True)
class Lesson:
    """One lesson: ``course/NN_slug.ipynb`` and what it brings.

    ``title`` is the notebook's title after ``# NN · `` (up to the colon); ``challenges`` are its numbered
    sections, in order (none for the welcome lesson, whose outline says ``about`` instead); ``experiments`` the
    modules of :mod:`scalingml.experiments` its notebook imports (``"talent.tuning"`` for a subpackage's module);
    ``quickcheck`` the module holding its quick checks (``CHECKS``) and its self-assessment questions
    (``ASSESSMENT``, one per challenge); ``assignment`` its nbgrader assignment (``solutions/NN_slug/``), or None.
    """

    number: str
    slug: str
    title: str
    challenges: tuple[str, ...]
    experiments: tuple[str, ...]
    quickcheck: str
    assignment: str | None
    about: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d\d", self.number):
            raise LessonEntryError(f"lesson {self.number!r}: a lesson number is two digits, e.g. '06'")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.slug):
            raise LessonEntryError(f"lesson {self.number}: the slug {self.slug!r} must be lower_case_with_underscores")
        if self.assignment not in (None, self.name):
            raise LessonEntryError(
                f"lesson {self.name}: its assignment is solutions/{self.name}/ (or None), not {self.assignment!r}"
            )
        if not self.challenges and not self.about:
            raise LessonEntryError(f"lesson {self.name}: name its challenges, or say what it is `about` instead")

    @property
    def name(self) -> str:
        """``"02_model_complexity"``: the notebook's stem and the assignment's folder."""
        return f"{self.number}_{self.slug}"

    @property
    def notebook(self) -> PurePosixPath:
        """The lesson notebook, relative to the course root."""
        return PurePosixPath("course") / f"{self.name}.ipynb"

    @property
    def sections(self) -> tuple[Section, ...]:
        return tuple(Section(self, number, challenge) for number, challenge in enumerate(self.challenges, start=1))

    @property
    def label(self) -> str:
        """``"02 model complexity"``: how the self-assessment's learning path names the lesson."""
        return f"{self.number} {lowercase_first(self.title)}"

    def experiment_modules(self) -> tuple[str, ...]:
        """The full names of :attr:`experiments`: ``"scalingml.experiments.talent.tuning"``."""
        return tuple(f"scalingml.experiments.{module}" for module in self.experiments)

    def outline_row(self) -> str:
        """This lesson's row of the outline table in ``README.md`` and ``learner/README.md``."""
        covers = " · ".join(lowercase_first(c) for c in self.challenges) or self.about
        assignment = f"`exercises/{self.assignment}`" if self.assignment else "—"
        return f"| {self.number} | {lowercase_first(self.title)} | {covers} | {assignment} |"


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        number="00",
        slug="welcome",
        title="Welcome",
        challenges=(),
        about="how the course works, scale profiles, the cluster, a first measured experiment",
        experiments=("features", "training_time"),
        quickcheck="scalingml.quickcheck.lesson00",
        assignment="00_welcome",
    ),
    Lesson(
        number="01",
        slug="data_management",
        title="Data management",
        challenges=("Quality", "Volume", "Variety"),
        experiments=("quality", "variety", "volume"),
        quickcheck="scalingml.quickcheck.lesson01",
        assignment="01_data_management",
    ),
    Lesson(
        number="02",
        slug="model_complexity",
        title="Model complexity",
        challenges=("Overfitting", "Interpretability", "Training time"),
        experiments=("features", "interpretability", "overfitting", "training_time"),
        quickcheck="scalingml.quickcheck.lesson02",
        assignment="02_model_complexity",
    ),
    Lesson(
        number="03",
        slug="infrastructure",
        title="Infrastructure",
        challenges=("Hardware limits", "Cost", "Maintenance"),
        experiments=("cost", "features", "infrastructure", "monitoring", "persistence", "serving"),
        quickcheck="scalingml.quickcheck.lesson03",
        assignment="03_infrastructure",
    ),
    Lesson(
        number="04",
        slug="talent",
        title="Talent",
        challenges=("Skill gap", "Retention", "Training"),
        experiments=(
            "features",
            "talent",
            "talent.learning_path",
            "talent.mistakes",
            "talent.reproducibility",
            "talent.truck_factor",
            "talent.tuning",
        ),
        quickcheck="scalingml.quickcheck.lesson04",
        assignment="04_talent",
    ),
    Lesson(
        number="05",
        slug="regulation_ethics",
        title="Regulation and ethics",
        challenges=("Privacy", "Bias", "Transparency"),
        experiments=("fairness", "features", "privacy", "transparency"),
        quickcheck="scalingml.quickcheck.lesson05",
        assignment="05_regulation_ethics",
    ),
)


def lesson(name: str | int) -> Lesson:
    """The lesson numbered ``name`` (``"02"``, ``2``) or named so (``"02_model_complexity"``)."""
    wanted = f"{name:02d}" if isinstance(name, int) and not isinstance(name, bool) else str(name).strip()
    for entry in LESSONS:
        if wanted in (entry.number, entry.name):
            return entry
    known = ", ".join(entry.name for entry in LESSONS)
    raise UnknownLessonError(f"No lesson {name!r}; the lessons are {known} (or their numbers).")


def sections() -> tuple[Section, ...]:
    """Every challenge section of the course, in course order."""
    return tuple(section for entry in LESSONS for section in entry.sections)


def section(key: str) -> Section:
    """The section whose key is ``key`` (``"01.quality"``); an unknown key lists the lesson's sections."""
    every = sections()
    for found in every:
        if found.key == key:
            return found
    same_lesson = [s.key for s in every if s.key.startswith(f"{str(key).split('.')[0]}.")] or [s.key for s in every]
    raise UnknownLessonError(f"No lesson section {key!r}; known: {', '.join(same_lesson)}.")


def outline() -> list[str]:
    """The rows of the lesson table that ``README.md`` and ``learner/README.md`` show, in course order."""
    return [entry.outline_row() for entry in LESSONS]

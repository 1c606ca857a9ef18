"""What happened to each submission: a status from best to worst, with the reasons."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from scalingml.errors import ScalingmlError


class Status(enum.StrEnum):
    """A submission's status, from best to worst (declaration order); it keeps the worst it meets."""

    GRADED = "graded"  # executed and scored
    FLAGGED = "flagged"  # scored, but look at the reason
    STOPPED = "stopped"  # execution ended early; questions that ran keep their points
    REJECTED = "rejected"  # unreadable: score 0
    MISSING = "missing"  # no notebook: score 0
    FAILED = "failed"  # nbgrader or the sandbox failed on it: score 0

    @property
    def rank(self) -> int:
        """0 for the best status; higher is worse.

        >>> Status.FLAGGED.rank < Status.REJECTED.rank
        True
        """
        return list(Status).index(self)


GRADED, FLAGGED, STOPPED, REJECTED, MISSING, FAILED = Status


class GradingError(ScalingmlError, RuntimeError):
    """The run as a whole cannot go on (unknown assignment, unusable gradebook); one bad submission never raises it."""


@dataclass
class Outcome:
    """What happened to one student's submission."""

    student: str
    status: Status = Status.GRADED
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def worsen(self, status: Status, reason: str) -> None:
        """Record ``reason``; the status becomes ``status`` if that is worse than the current one."""
        if status.rank > self.status.rank:
            self.status = status
        self.reasons.append(reason)

    def note(self, reason: str) -> None:
        """Record ``reason`` without changing the status (a warning that costs nothing)."""
        self.reasons.append(reason)

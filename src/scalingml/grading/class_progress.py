"""Where a class run's time goes, and the progress line it shows while it runs.

:class:`Timings` sums the seconds of each step: *execution* (kernel time, summed over submissions; it runs
``jobs`` at a time) and the steps this process does one submission at a time (*preparing*: checking and
sanitizing, *recording* into the gradebook, *feedback*, *reports*): the serial part that bounds how far more
workers can help.

:class:`ClassProgress` prints, on stderr, the count, the rate and an ETA: one line rewritten in place on a
terminal, a new line every :attr:`ClassProgress.every` seconds otherwise (a log, CI).
``SCALINGML_PROGRESS=0`` silences it, as it does every bar of the package.
"""

from __future__ import annotations

import contextlib
import datetime
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from scalingml import progress

SERIAL_STEPS = ("preparing", "recording", "feedback", "reports")


@dataclass
class Timings:
    """Seconds spent in each step of a run.

    >>> t = Timings(execution=90.0, seconds={"recording": 6.0, "feedback": 3.0, "reports": 1.0})
    >>> t.serial, round(t.serial_share, 3)
    (10.0, 0.1)
    """

    execution: float = 0.0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SERIAL_STEPS, 0.0))

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Add the time the ``with`` block takes to step ``name``."""
        began = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.monotonic() - began

    @property
    def serial(self) -> float:
        return sum(self.seconds.values())

    @property
    def serial_share(self) -> float:
        """The serial steps' share of all the work (execution plus serial), 0 when nothing ran."""
        total = self.execution + self.serial
        return self.serial / total if total else 0.0

    def format(self) -> str:
        """One line: where the time went.

        >>> Timings(execution=90.0, seconds={"recording": 6.0, "feedback": 3.0, "reports": 1.0}).format()[:54]
        'time: execution 90.0 s (kernels, in parallel); serial '
        """
        parts = ", ".join(f"{name} {self.seconds.get(name, 0.0):.1f} s" for name in SERIAL_STEPS)
        return (
            f"time: execution {self.execution:.1f} s (kernels, in parallel); "
            f"serial {self.serial:.1f} s ({self.serial_share:.0%}): {parts}"
        )


class ClassProgress:
    """``grading 02_model_complexity: 40/200 (12 kept), 2.1/min, ETA 17:02 UTC (76 min)`` on stderr."""

    #: Seconds between two lines when stderr is not a terminal.
    every = 30.0

    def __init__(self, total: int, kept: int, desc: str, *, enabled: bool = True, stream=None):
        self.total, self.kept, self.desc = total, kept, desc
        self.done = kept
        self.stream = stream or sys.stderr
        self.enabled = enabled and not progress.silenced() and total > kept
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.began = self.last = time.monotonic()
        if self.enabled:
            self._show()

    def line(self, now: float | None = None) -> str:
        """The current line (count, rate over this run's submissions, ETA).

        >>> p = ClassProgress(10, 2, "grading x", enabled=False)
        >>> p.done = 6
        >>> p.line(now=p.began + 120)
        'grading x: 6/10 (2 kept), 2.0/min, ETA in 2 min'
        """
        now = time.monotonic() if now is None else now
        graded, left = self.done - self.kept, self.total - self.done
        text = f"{self.desc}: {self.done}/{self.total}" + (f" ({self.kept} kept)" if self.kept else "")
        elapsed = now - self.began
        if graded and elapsed > 0:
            rate = graded / elapsed
            eta = left / rate
            text += f", {rate * 60:.1f}/min"
            if left:
                at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=eta)
                text += f", ETA in {eta / 60:.0f} min" + (f" ({at:%H:%M} UTC)" if eta >= 600 else "")
        return text

    def advance(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.enabled and (self.tty or now - self.last >= self.every or self.done == self.total):
            self.last = now
            self._show()

    def _show(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + self.line())
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()

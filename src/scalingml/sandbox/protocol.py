"""What the grader and its runner process say to each other: a job in, a status out, both as JSON.

The runner (:mod:`scalingml.sandbox.runner`) is a separate process, so everything it needs
travels in the :class:`RunnerJob` — the limits included — and everything it found comes
back as a :class:`RunnerStatus` saved beside the executed notebook after every cell.

>>> job = RunnerJob("nb.ipynb", "out.ipynb", "/tmp", {}, Limits(cell_timeout=5), [], [], 1024)
>>> RunnerJob.from_json(job.to_json()) == job
True
>>> RunnerStatus.from_json(RunnerStatus(executed=[0, 2], stopped="the kernel died").to_json()).executed
[0, 2]
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from scalingml.sandbox import Limits


@dataclass(frozen=True)
class RunnerJob:
    """One notebook to execute: where it is and goes, the kernel's environment, the sandbox settings."""

    notebook: str
    output: str
    cwd: str  # the scratch folder: the kernel's working directory, the only place it may write
    env: dict[str, str]
    limits: Limits
    hide: list[str]
    expose: list[str]
    max_output_bytes: int

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunnerJob:
        data = json.loads(text)
        return cls(**{**data, "limits": Limits(**data["limits"])})


@dataclass
class RunnerStatus:
    """What happened so far: cells executed, why execution stopped, what was cut or interrupted, tampering seen,
    and what passed test cells wrote to stderr (``warnings``: set aside, not counted against the learner)."""

    executed: list[int] = field(default_factory=list)
    stopped: str | None = None
    isolation: str = ""
    truncated: list[int] = field(default_factory=list)
    timed_out: list[int] = field(default_factory=list)
    tampering: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunnerStatus:
        return cls(**json.loads(text))

"""A workshop server in one command: JupyterHub with a Unix user per learner and nbgrader's exchange.

``scalingml workshop start ROSTER`` (as root, from the course checkout, in the environment
``deploy/install-workshop.sh`` makes) creates a Unix account and a generated password for each learner of
the roster and for the instructor (admin and grader), gives each learner the learner distribution of the
course (no solution, no hidden test), prepares the instructor's nbgrader course (the solutions and the
gradebook, in a home only the instructor can read) and the exchange, and starts JupyterHub (PAM logins,
configurable-http-proxy, the idle culler) with a memory and CPU share per learner. ``stop`` stops it;
starting again reuses every account, password, learner's work and submission; ``remove`` deletes what
the workshop created. docs/workshop.md is the instructor's guide.

Modules: :mod:`.roster` (names and passwords), :mod:`.accounts` (Unix users), :mod:`.limits` (each
learner's cgroup or rlimits), :mod:`.spawner` (the hub's spawner), :mod:`.hubconfig` (the hub's and the
user servers' configuration), :mod:`.layout` (the workshop folder and what each account receives),
:mod:`.server` (start, stop, status, remove).
"""

from scalingml.errors import ScalingmlError


class WorkshopError(ScalingmlError, RuntimeError):
    """The workshop cannot start or stop as asked; the message says what to fix."""

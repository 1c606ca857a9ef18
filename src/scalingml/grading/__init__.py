"""``scalingml grade``: autograde a class in parallel, in the sandbox, through nbgrader's gradebook.

Modules: :mod:`~scalingml.grading.run` (one run, :class:`GradingRun`), :mod:`~scalingml.grading.pool`
(threads or Dask), :mod:`~scalingml.grading.nbgrader_steps`, :mod:`~scalingml.grading.report`,
:mod:`~scalingml.grading.status`, :mod:`~scalingml.grading.feedback`, :mod:`~scalingml.grading.manual_feedback`,
:mod:`~scalingml.grading.ledger` (resuming after a crash, one run at a time, a writable course folder),
:mod:`~scalingml.grading.class_progress` (the progress line and where time went): nbgrader's orchestration only.
The code runs in :mod:`scalingml.sandbox`, which ``scalingml check`` uses too. The names below load on first use.

How one run goes (:func:`grade`):

1. **Collect** (:mod:`scalingml.submissions`): every student's files, read into memory;
   the originals are never written. Unreadable notebooks are *rejected* (score 0, with
   the reason); missing ones score 0 as in nbgrader.
2. **Sanitize**, in this process, with nbgrader's own preprocessors: outputs cleared,
   locked and test cells restored from the gradebook (deleted ones re-added), kernel
   spec overwritten. Edited or deleted read-only cells are *flagged*.
3. **Execute** the sanitized notebooks N at a time (``jobs`` threads, each driving a
   sandboxed runner process; or tasks on a Dask cluster): :mod:`scalingml.sandbox.execution`.
4. **Score and record**, in this process only, one submission at a time as each finishes:
   nbgrader's ``autograde`` with its execute step replaced by :class:`ReplayExecution`,
   which hands over the notebook executed in step 3. The gradebook therefore has a
   single writer whatever the concurrency, and student code never runs in it.
5. **Feedback**, for each student as soon as they are recorded (nbgrader's HTML, renamed into place;
   hidden tests and their tracebacks removed unless asked: :mod:`~scalingml.grading.feedback`; after manual
   grading, :mod:`~scalingml.grading.manual_feedback`) and **reports**:
   ``grades.csv``, ``questions.csv`` and ``statuses.csv`` (the class: earlier students' statuses kept).

A student is then *finished* (:mod:`~scalingml.grading.ledger`): a rerun after a crash skips them while their
submission is unchanged (``regrade=True`` grades everyone). A run writes only for the students it grades:
their ``submitted/`` and ``autograded/`` copies, feedback and gradebook entries are replaced; everyone else's
are left as they are.
"""

from __future__ import annotations

import importlib

#: name -> module that defines it, imported on first use (``from scalingml.grading import grade``)
_EXPORTS = {
    "grade": "run",
    "GradingRun": "run",
    "select_students": "run",
    "GradingReport": "report",
    "read_scores": "nbgrader_steps",
    "regenerate_feedback": "manual_feedback",
    "GradingError": "status",
    "Outcome": "status",
    "Status": "status",
    "GRADED": "status",
    "FLAGGED": "status",
    "STOPPED": "status",
    "REJECTED": "status",
    "MISSING": "status",
    "FAILED": "status",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

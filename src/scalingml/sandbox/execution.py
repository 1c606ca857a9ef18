"""Execute a notebook in the sandbox from the outside, whatever the code in it does.

:func:`run_notebook` copies the notebook (and the files beside it) into a scratch
folder, starts ``python -m scalingml.sandbox.runner`` with a clean environment, waits at most
the notebook's wall limit, ends every process it started, and returns the executed
notebook. Code cells that did not run get an error output saying why, so nbgrader
never mistakes an unexecuted test cell for a passed one.

The function takes and returns plain data (notebook JSON text, file bytes), so a
Dask worker can run it as well as a local thread.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from scalingml import cells, sandbox
from scalingml.sandbox.protocol import RunnerJob, RunnerStatus

#: Seconds the runner gets beyond the notebook limit to start and stop its kernel.
STARTUP_GRACE = 30
MAX_OUTPUT_KB = 1024
#: Marks a runner's reply line in ``--serve`` mode (libraries may print to stdout too).
REPLY = "@@scalingml-runner@@ "


@dataclass
class Execution:
    """The executed notebook (JSON text) and what happened."""

    notebook: str
    stopped: str | None
    isolation: str
    seconds: float
    truncated: list[int] = field(default_factory=list)
    timed_out: list[int] = field(default_factory=list)
    tampering: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # stderr of passed test cells: recorded, not penalised

    def suspicions(self) -> list[str]:
        """Why this run's scores should not be taken on trust: kernel tampering seen, or an untrusted comparison."""
        executed = nbformat.reads(self.notebook, as_version=4)
        refused = [
            cells.nbgrader_metadata(cell).get("grade_id", "a test")
            for cell in executed.cells
            if cells.is_autograded_test(cell) and (cells.first_error(cell) or {}).get("ename") == "UntrustedComparison"
        ]
        return [
            *self.tampering,
            *(f"{name} compared an object written in the notebook (no points)" for name in refused),
        ]


def not_run_output(reason: str) -> nbformat.NotebookNode:
    """The error output given to a code cell that was not executed."""
    return nbformat.v4.new_output("error", ename="NotRun", evalue=reason, traceback=[f"NotRun: {reason}"])


def mark_unexecuted(notebook: nbformat.NotebookNode, executed: set[int], reason: str) -> None:
    """Give every code cell not in ``executed`` an error output naming ``reason``."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and index not in executed:
            cell.outputs = [not_run_output(f"not run: {reason}")]


class Runner:
    """A long-lived runner process (``python -m scalingml.sandbox.runner --serve``) for one notebook at a time.

    Reusing it saves a Python start and its imports per notebook. After a wall-limit
    overrun or a crash it is ended with everything it started, and a fresh one is
    started for the next notebook.
    """

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.replies: queue.Queue = queue.Queue()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the runner's whole life)

    def _start(self, env: dict[str, str], cwd: str) -> None:
        self.log.seek(0)
        self.log.truncate()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scalingml.sandbox.runner", "--serve"],
            env=env,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            start_new_session=True,
            text=True,
        )
        self.replies = queue.Queue()
        threading.Thread(target=self._read, args=(self.process, self.replies), daemon=True).start()

    @staticmethod
    def _read(process: subprocess.Popen, replies: queue.Queue) -> None:
        assert process.stdout is not None  # started with stdout=PIPE
        for line in process.stdout:
            if line.startswith(REPLY):
                replies.put(json.loads(line[len(REPLY) :]))
        replies.put({"ok": False, "error": f"the runner exited (code {process.wait()})"})

    def run(self, job: RunnerJob, timeout: float) -> tuple[str | None, str | None]:
        """Run one job; return (why it was stopped, why the runner failed), each None if all went well."""
        if self.process is None or self.process.poll() is not None:
            self._start(job.env, job.cwd)
        assert self.process is not None and self.process.stdin is not None  # started just above, stdin=PIPE
        try:
            self.process.stdin.write(job.to_json() + "\n")
            self.process.stdin.flush()
            reply = self.replies.get(timeout=timeout)
        except queue.Empty:
            self.close()
            return f"the notebook ran past its {timeout - STARTUP_GRACE:g} s wall limit", None
        except OSError as exc:  # the runner died between jobs
            self.close()
            return None, f"the runner could not be reached ({exc})"
        if not reply["ok"]:
            self.log.seek(0)
            tail = self.log.read().decode(errors="replace").strip().splitlines()[-1:]
            self.close()
            return None, reply["error"] + (f" ({tail[0]})" if tail else "")
        return None, None

    def close(self) -> None:
        if self.process is not None:
            sandbox.end_process_tree(self.process.pid)
            self.process.wait()
            self.process = None


def run_notebook(
    notebook_json: str,
    name: str,
    files: dict[str, bytes] | None = None,
    limits: sandbox.Limits | None = None,
    *,
    hide: Sequence[str] = (),
    scratch_root: str | None = None,
    runner_process: Runner | None = None,
) -> Execution:
    """Execute ``notebook_json`` (saved as ``name``) with ``files`` beside it, in the sandbox.

    ``hide`` lists folders the kernel must not see (the course, the submissions);
    ``scratch_root`` is where the per-run folder is made (hidden from the kernel too);
    ``runner_process`` reuses a :class:`Runner` (default: a new process for this notebook).
    """
    limits = limits or sandbox.Limits()
    job = Path(tempfile.mkdtemp(prefix="scalingml-run-", dir=scratch_root))
    work, result = job / "work", job / "result"
    work.mkdir()
    result.mkdir()
    start = time.monotonic()
    try:
        for relative, content in (files or {}).items():
            target = work / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        (work / name).write_text(notebook_json, encoding="utf-8")
        output = result / name
        runner_job = RunnerJob(
            notebook=str(work / name),
            output=str(output),
            cwd=str(work),
            env=sandbox.sandbox_environment(work),
            limits=limits,
            hide=[*map(str, hide), str(job.parent), str(Path.home())],
            expose=[str(p) for p in sandbox.readable_paths()],
            max_output_bytes=MAX_OUTPUT_KB * 1024,
        )
        own = runner_process or Runner()
        try:
            stopped, failure = own.run(runner_job, limits.notebook_timeout + STARTUP_GRACE)
        finally:
            if runner_process is None:
                own.close()
        return _collect(output, notebook_json, stopped, failure, time.monotonic() - start)
    finally:
        shutil.rmtree(job, ignore_errors=True)


def _collect(output: Path, notebook_json: str, stopped: str | None, failure: str | None, seconds: float) -> Execution:
    status_path = output.with_suffix(".status.json")
    if output.is_file() and status_path.is_file():
        notebook = nbformat.read(output, as_version=4)
        status = RunnerStatus.from_json(status_path.read_text())
    else:
        notebook = nbformat.reads(notebook_json, as_version=4)
        status = RunnerStatus(isolation=sandbox.isolation())
    stopped = stopped or status.stopped or (f"the runner failed: {failure}" if failure else None)
    executed = set(status.executed)
    if stopped:
        mark_unexecuted(notebook, executed, stopped)
    return Execution(
        nbformat.writes(notebook),
        stopped,
        status.isolation,
        seconds,
        status.truncated,
        status.timed_out,
        status.tampering,
        status.warnings,
    )

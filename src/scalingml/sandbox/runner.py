"""The process that executes notebooks in the sandbox (``python -m scalingml.sandbox.runner``), one at a time.

It is started and fed by :class:`scalingml.sandbox.execution.Runner`, never by hand. It is trusted
code: the learner's code runs in the kernel it starts (behind limits, inside bubblewrap
where available), not here. After every cell it saves the notebook and a status file,
so whatever happens later (the kernel dies, the parent ends this process at the
notebook's wall limit) the cells already run keep their outputs.

Per cell: a timeout, after which the kernel is interrupted and the cell gets a
``CellTimeoutError`` output; output beyond the job's ``max_output_bytes`` is dropped with a note.
A graded test cell that passed but wrote to stderr (a ``warnings.warn`` in the learner's code, a
library's deprecation note) keeps its points: nbgrader would score it 0, so the text moves to stdout
with a note and is recorded in the status (:func:`set_aside_stderr`). Errors still fail the cell.
A watchdog thread ends the kernel if it starts more than ``--processes`` processes
(``RLIMIT_NPROC`` does not bind root, and counts the whole user, not one submission).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import secrets
import sys
import threading
import time
from pathlib import Path

from scalingml._imports import skip_slow_optional_imports

skip_slow_optional_imports()  # before nbformat: saves 2.8 s per runner start

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402
from nbclient.util import run_sync  # noqa: E402

from scalingml import cells, sandbox  # noqa: E402
from scalingml.sandbox.execution import REPLY  # noqa: E402
from scalingml.sandbox.kernel_manager import SandboxedKernelManager  # noqa: E402
from scalingml.sandbox.protocol import RunnerJob, RunnerStatus  # noqa: E402

TIMEOUT_ERROR = {
    "ename": "CellTimeoutError",
    "evalue": "",
    "traceback": ["CellTimeoutError: the cell ran past the per-cell time limit and was interrupted"],
}


class CappedClient(NotebookClient):
    """A notebook client that keeps at most ``max_output_bytes`` of output per cell."""

    def __init__(self, *args, max_output_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_output_bytes = max_output_bytes
        self._kept: dict[int, int] = {}
        self.truncated: set[int] = set()

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "error":  # always kept: errors decide the grade
            return super().output(outs, msg, display_id, cell_index)
        if cell_index in self.truncated:
            return None
        size = len(json.dumps(msg.get("content", {}), default=str))
        kept = self._kept.get(cell_index, 0)
        if kept + size > self.max_output_bytes:
            self.truncated.add(cell_index)
            outs.append(
                nbformat.v4.new_output(
                    "stream",
                    name="stderr",
                    text=f"[output truncated: more than {self.max_output_bytes // 1024} kB from this cell]\n",
                )
            )
            return None
        self._kept[cell_index] = kept + size
        return super().output(outs, msg, display_id, cell_index)


class ProcessWatchdog(threading.Thread):
    """Ends the kernel's process tree when it holds more than ``limit`` processes."""

    def __init__(self, pid: int, limit: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.limit, self.interval = pid, limit, interval
        self.tripped = False
        self._stop_event = threading.Event()

    def run(self) -> None:
        import psutil

        while not self._stop_event.wait(self.interval):
            try:
                count = len(psutil.Process(self.pid).children(recursive=True))
            except psutil.NoSuchProcess:
                return
            if count > self.limit:
                self.tripped = True
                sandbox.end_process_tree(self.pid)
                return

    def stop(self) -> None:
        self._stop_event.set()


#: Put before stderr text moved to stdout in a passed test cell, so the learner's feedback says why it is there.
SET_ASIDE_NOTE = "[written to stderr; not counted against you] "
WARNING_LOCATION = re.compile(r"^\S+:\d+: (?=\w+:)")


def set_aside_stderr(cell) -> list[str]:
    r"""Move a passed test cell's stderr output to stdout; return its first lines, to record with the submission.

    nbgrader gives 0 points to a test cell with any stderr output, so a correct answer that
    warns would lose its points. A cell with an error output is left as it is (it fails anyway).

    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("q", outputs=[nbformat.v4.new_output("stream", name="stderr",
    ...     text="/tmp/ipykernel_7/1.py:5: UserWarning: points in decreasing order\n  warnings.warn(...)\n")])
    >>> set_aside_stderr(cell), cell.outputs[0].name
    (['UserWarning: points in decreasing order'], 'stdout')
    """
    if cells.first_error(cell) is not None:
        return []
    seen = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = "".join(output.get("text", ""))
            first = next((line.strip() for line in text.splitlines() if line.strip()), "")
            first = WARNING_LOCATION.sub("", first)  # drop "/tmp/ipykernel_7/1.py:5: "
            if first:
                seen.append(first[:200])
            output["name"], output["text"] = "stdout", SET_ASIDE_NOTE + text
    return seen


def save(notebook, output: Path, status: RunnerStatus) -> None:
    """Write the notebook and its status next to each other, each atomically."""
    for path, text in ((output, nbformat.writes(notebook)), (output.with_suffix(".status.json"), status.to_json())):
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)


class KernelGuard:
    """Drives :mod:`scalingml.sandbox.kernel_guard` in the kernel through silent calls; collects what it reports.

    A call that does not come back with this run's nonce means the kernel could not be
    checked: that is reported too, so the submission is flagged rather than trusted.
    """

    def __init__(self, client: NotebookClient):
        self.client, self.nonce, self.installed = client, secrets.token_hex(16), False
        self.notes: list[str] = []

    def _call(self, expression: str) -> None:
        async def call():
            msg_id = self.client.kc.execute("", silent=True, store_history=False, user_expressions={"r": expression})
            return await self.client.async_wait_for_reply(msg_id)

        what = expression.split("(")[0].rsplit(".", 1)[-1]
        try:
            reply = run_sync(call)()
            result = reply["content"]["user_expressions"]["r"]
            report = json.loads(ast.literal_eval(result["data"]["text/plain"]))
        except Exception as exc:  # no reply, an error, or not our JSON: the kernel was not checked
            self.notes.append(f"the grader could not check the kernel ({what}: {type(exc).__name__})")
            return
        if report.get("nonce") != self.nonce:
            self.notes.append(f"the grader could not check the kernel ({what}: an answer it did not send)")
        self.notes.extend(report.get("notes", []))

    def install(self) -> None:
        self._call(f"__import__('scalingml.sandbox.kernel_guard', fromlist=['install']).install({self.nonce!r})")
        self.installed = True

    def before_test(self, name: str) -> None:
        self._call(f"__import__('scalingml.sandbox.kernel_guard', fromlist=['before_test']).before_test({name!r})")

    def after_test(self, name: str) -> None:
        self._call(f"__import__('scalingml.sandbox.kernel_guard', fromlist=['after_test']).after_test({name!r})")


def _execute_cell(client, guard: KernelGuard, cell, index: int, limits, status: RunnerStatus, watchdog) -> bool:
    """Run one code cell, a test cell between the guard's checks; False when the kernel is gone (stop the run)."""
    test = cells.is_autograded_test(cell)
    name = cells.nbgrader_metadata(cell).get("grade_id", f"cell {index}")
    if not guard.installed and (test or not cells.nbgrader_metadata(cell).get("locked")):
        guard.install()  # before the first cell a learner could have written
    started = time.monotonic()
    try:
        if test:
            guard.before_test(name)
        client.execute_cell(cell, index)
        if test:
            guard.after_test(name)
            if index not in client.truncated:  # a truncated cell keeps its note: too much output is flagged
                status.warnings += [f"{name}: {line}" for line in set_aside_stderr(cell)]
    except DeadKernelError:
        status.stopped = (
            f"the kernel was ended in cell {index}: it started more than {limits.processes} processes"
            if watchdog and watchdog.tripped
            else f"the kernel died in cell {index} (out of memory, a crash, or the code exited the kernel)"
        )
        return False
    if time.monotonic() - started >= limits.cell_timeout:
        status.timed_out.append(index)
        cell.outputs.append(
            nbformat.v4.new_output(
                "stream",
                name="stderr",
                text=f"[interrupted: the cell ran past the {limits.cell_timeout} s per-cell limit]\n",
            )
        )
    return True


def execute(job: RunnerJob) -> RunnerStatus:
    """Execute every code cell of the job's notebook in a sandboxed kernel; return the status."""
    notebook_path, output, limits = Path(job.notebook), Path(job.output), job.limits
    notebook = nbformat.read(notebook_path, as_version=4)
    kernel_manager = SandboxedKernelManager(
        scratch=Path(job.cwd), limits=limits, hide=job.hide, expose=job.expose, kernel_name="python3"
    )
    client = CappedClient(
        notebook,
        km=kernel_manager,
        timeout=limits.cell_timeout,
        allow_errors=True,
        kernel_name="python3",
        interrupt_on_timeout=True,
        error_on_timeout=TIMEOUT_ERROR,
        iopub_timeout=4,
        shutdown_kernel="immediate",
        max_output_bytes=job.max_output_bytes,
        resources={"metadata": {"path": str(notebook_path.parent)}},
    )
    status = RunnerStatus(isolation=sandbox.isolation())
    save(notebook, output, status)
    watchdog, pid = None, None
    with client.setup_kernel():
        begun = time.monotonic()  # the wall limit counts the learner's cells; the parent also bounds the start
        pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
        if pid:
            watchdog = ProcessWatchdog(pid, limits.processes)
            watchdog.start()
        guard = KernelGuard(client)
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            if time.monotonic() - begun > limits.notebook_timeout:
                status.stopped = f"the notebook ran past its {limits.notebook_timeout} s wall limit"
                break
            if not _execute_cell(client, guard, cell, index, limits, status, watchdog):
                break
            status.executed.append(index)
            status.truncated = sorted(client.truncated)
            status.tampering = list(dict.fromkeys(guard.notes))
            save(notebook, output, status)
        if watchdog:
            watchdog.stop()
        if pid:  # the kernel and everything it started, daemons included, while they can still be found
            sandbox.end_process_tree(pid)
    save(notebook, output, status)
    return status


def serve() -> int:
    """Execute notebooks one after another, one JSON job per stdin line; reply on stdout.

    Each line is a :class:`~scalingml.sandbox.protocol.RunnerJob`; its ``env`` (the sandbox
    environment) replaces this process's. Saves a Python start and imports per notebook;
    the parent replaces the process after any failure.
    """
    for line in sys.stdin:
        job = RunnerJob.from_json(line)
        os.environ.clear()
        os.environ.update(job.env)
        os.chdir(job.cwd)
        try:
            execute(job)
            reply: dict[str, bool | str] = {"ok": True}
        except Exception as exc:  # reported to the parent, which records it for this submission
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        print(REPLY + json.dumps(reply), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scalingml.sandbox.runner", description=(serve.__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--serve", action="store_true", required=True, help="read jobs from stdin (the only mode)")
    parser.parse_args(argv)
    return serve()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))

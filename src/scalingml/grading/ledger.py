"""What survives a crash of ``scalingml grade``: the ledger of finished students, and the one-run-at-a-time lock.

**Ledger** (``grading/ledger/ASSIGNMENT.json``): for each student whose recording *and* feedback are
complete, the content hash of what they submitted (every file, with the assignment's source
notebooks and the run's settings (limits, gradebook,
hidden tests shown), so a changed hidden test or limit invalidates it) and the outcome (status, reasons, seconds).
It is rewritten atomically (a temporary file in the same folder, then :func:`os.replace`) after each
student, so after a ``kill -9`` it names exactly the students that need no more work. A rerun of the
same command skips a student whose current hash is in the ledger and grades everyone else;
``--regrade`` ignores it. A *failed* outcome (the sandbox or nbgrader failed) is never kept.

**Lock** (``grading/grade.lock``): taken with :func:`fcntl.flock` for the whole run; the OS releases
it when the process ends, however it ends, so a killed run leaves no stale lock. A second run on the
same course is refused with the first one's pid and start time.

**Crash points for tests**: ``SCALINGML_TEST_CRASH_AT=STEP:N`` ends the process with ``os._exit(137)``
(what a ``kill -9`` leaves) in that step of the student after the first N finished: ``recording`` once
the gradebook holds the student, ``feedback`` once nbgrader has written the feedback into its staging
folder and before it is renamed into place; :func:`crash_point` is the whole hook.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from scalingml.grading.status import FAILED, GradingError, Outcome, Status

CRASH_ENV = "SCALINGML_TEST_CRASH_AT"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # as an ordinary write would leave it (mkstemp makes it private)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def submission_key(files: dict[str, bytes], source_notebooks: list[Path], settings: str) -> str:
    """The content hash of a submission (all its files), the assignment's source notebooks and the run's settings."""
    digest = hashlib.sha256(settings.encode() + b"\0")
    for name in sorted(files):
        content = files[name]
        size = getattr(content, "size", None)  # a file too large to read: its size stands in for it
        digest.update(name.encode() + b"\0" + (f"too large: {size}".encode() if size is not None else bytes(content)))
        digest.update(b"\0")
    for path in sorted(source_notebooks):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class Ledger:
    """The finished students of one assignment, read at the start of a run and rewritten after each student."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, dict] = {}
        if path.is_file():
            try:
                self.entries = json.loads(path.read_text())["students"]
            except (ValueError, KeyError, TypeError):
                self.entries = {}  # unreadable: everyone is graded again, which is always correct

    def kept(self, student: str, key: str) -> Outcome | None:
        """The recorded outcome when ``student``'s submission with ``key`` was finished by an earlier run."""
        entry = self.entries.get(student)
        if not entry or entry.get("key") != key:
            return None
        return Outcome(student, Status(entry["status"]), list(entry["reasons"]), float(entry["seconds"]))

    def forget(self, students: list[str]) -> None:
        """Drop ``students`` (about to be graded again): a crash while they are graded must not keep their old entry."""
        if any(student in self.entries for student in students):
            for student in students:
                self.entries.pop(student, None)
            self._write()

    def finish(self, outcome: Outcome, key: str) -> None:
        """Note ``outcome`` as finished (recording and feedback done) and rewrite the ledger atomically."""
        if outcome.status == FAILED:
            self.entries.pop(outcome.student, None)
        else:
            self.entries[outcome.student] = {
                "key": key, "status": outcome.status.value, "reasons": outcome.reasons, "seconds": outcome.seconds,
            }  # fmt: skip
        self._write()

    def _write(self) -> None:
        write_atomically(self.path, json.dumps({"students": self.entries}, indent=1, sort_keys=True).encode())


class CourseNotWritable(GradingError):
    """The course folder is read-only or its disk is (nearly) full: nothing can be recorded, so nothing runs."""


#: Free space a run needs before it starts: the gradebook's journal, the reports, some feedback.
MIN_FREE_MB = 20


def require_writable(folders: list[Path], database: Path | None = None, min_free_mb: int = MIN_FREE_MB) -> None:
    """Raise :class:`CourseNotWritable` unless a file can be written (and removed) in each of ``folders``.

    Tried for real, not with :func:`os.access` (which says yes to root on a read-only mount), with at least
    ``min_free_mb`` free on each filesystem; ``database`` (a sqlite gradebook) must be writable too.
    """
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".scalingml-probe-") as probe:
                probe.write(b"\0" * 4096)
                probe.flush()
                os.fsync(probe.fileno())
            free_mb = shutil.disk_usage(folder).free / 2**20
        except OSError as exc:
            raise CourseNotWritable(
                f"Cannot write in {folder} ({exc.strerror or exc}): grading records into the course folder; "
                "make it writable (or free disk space) and run the same command again"
            ) from None
        if free_mb < min_free_mb:
            raise CourseNotWritable(
                f"Only {free_mb:.0f} MB free for {folder} (a run needs at least {min_free_mb} MB): "
                "free disk space and run the same command again"
            )
    if database is not None and database.exists() and not _opens_for_writing(database):
        raise CourseNotWritable(
            f"Cannot write to the gradebook {database}: make it writable and run the same command again"
        )


def _opens_for_writing(path: Path) -> bool:
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND))
    except OSError:
        return False
    return True


@contextlib.contextmanager
def run_lock(grading_dir: Path) -> Iterator[None]:
    """Hold ``grading/grade.lock`` for the run; a second run on the course is refused with the first one's pid."""
    grading_dir.mkdir(parents=True, exist_ok=True)
    path = grading_dir / "grade.lock"
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 200, 0).decode(errors="replace").strip() or "another process"
            raise GradingError(
                f"Another scalingml grade run is grading this course ({holder}); wait for it to end, or stop it"
            ) from None
        since = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"pid {os.getpid()} since {since}".encode(), 0)
        yield
    finally:
        os.close(handle)  # closing releases the lock; the OS does it too when the process dies


def crash_point(step: str, finished: int) -> None:
    """Test hook: end the process as ``kill -9`` would at ``step`` once ``finished`` students are done."""
    wanted = os.environ.get(CRASH_ENV)
    if wanted and wanted == f"{step}:{finished}":
        os._exit(137)

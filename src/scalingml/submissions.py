"""Find a class's submissions and inspect each notebook before any of its code runs.

Accepted layouts for ``SUBMISSIONS`` (a folder, or a ``.zip`` of one):

* one sub-folder per student: ``STUDENT/NOTEBOOK.ipynb`` or ``STUDENT/ASSIGNMENT/NOTEBOOK.ipynb``
  (nbgrader's ``submitted/`` layout, ``timestamp.txt`` included);
* the flat file names of nbgrader's ``zip_collect`` (learning-management-system downloads):
  ``ASSIGNMENT_STUDENT_attempt_TIMESTAMP_NOTEBOOK.ipynb``, or any ``--named-regexp`` with
  ``student_id`` and ``file_id`` groups.

Nothing under ``SUBMISSIONS`` is ever written: a zip is read, never extracted in place.
"""

from __future__ import annotations

import json
import re
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from scalingml.errors import ScalingmlError

#: nbgrader's documented example for ``FileNameCollectorPlugin.named_regexp``.
DEFAULT_NAMED_REGEXP = r"^.*?_(?P<student_id>[A-Za-z0-9\-.]+)_attempt_(?P<timestamp>[0-9\-]+)_(?P<file_id>.+)$"
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{0,99}$")
MAX_NOTEBOOK_MB = 20
MAX_OTHER_FILES_MB = 50
IGNORED = {".ipynb_checkpoints", "__pycache__", "__MACOSX", ".DS_Store"}


class SubmissionsError(ScalingmlError, ValueError):
    """The submissions folder or zip cannot be used at all (one bad submission never raises this)."""


@dataclass
class Submission:
    """One student's files, as bytes, and any problem seen while collecting them."""

    student: str
    files: dict[str, bytes] = field(default_factory=dict)
    timestamp: str | None = None
    problems: list[str] = field(default_factory=list)

    def notebooks(self) -> list[str]:
        return sorted(name for name in self.files if name.endswith(".ipynb") and "/" not in name)


def _ignored(parts) -> bool:
    return any(part in IGNORED or part.startswith("._") for part in parts)


def _wrapped_in_one_folder(paths: list[PurePosixPath], assignment: str, pattern: re.Pattern) -> bool:
    """True when everything sits in one folder that holds the student folders or zip_collect files.

    (A zip of ``submissions/`` wraps the class in that folder; one student's own
    folder, ``alice/nb.ipynb`` or ``alice/ASSIGNMENT/nb.ipynb``, is not such a wrapper.)
    """
    if len({path.parts[0] for path in paths}) != 1 or any(len(path.parts) < 2 for path in paths):
        return False
    inner = [PurePosixPath(*path.parts[1:]) for path in paths]
    flat_named = all(len(path.parts) == 1 and pattern.match(path.name) for path in inner)
    student_folders = all(len(path.parts) >= 2 and path.parts[0] != assignment for path in inner)
    return flat_named or student_folders


def _read_tree(
    entries: dict[PurePosixPath, Callable[[], bytes]], assignment: str, named_regexp: str
) -> list[Submission]:
    """Group ``{relative path: reader}`` into submissions, by sub-folder or by zip_collect file name."""
    entries = {path: read for path, read in entries.items() if not _ignored(path.parts)}
    pattern = re.compile(named_regexp)
    if _wrapped_in_one_folder(list(entries), assignment, pattern):
        entries = {PurePosixPath(*path.parts[1:]): read for path, read in entries.items()}
    by_student: dict[str, Submission] = {}
    for path, read in sorted(entries.items()):
        if len(path.parts) == 1:  # a flat file: zip_collect naming
            match = pattern.match(path.name)
            if not match:
                raise SubmissionsError(
                    f"{path.name} is neither in a student folder nor named like nbgrader's zip_collect "
                    f"files (ASSIGNMENT_STUDENT_attempt_TIMESTAMP_NOTEBOOK.ipynb); give --named-regexp."
                )
            student, relative = match.group("student_id"), match.group("file_id")
            timestamp = match.groupdict().get("timestamp")
        else:
            student, rest = path.parts[0], path.parts[1:]
            if len(rest) > 1 and rest[0] == assignment:
                rest = rest[1:]
            relative, timestamp = "/".join(rest), None
        submission = by_student.setdefault(student, Submission(student))
        if not STUDENT_ID.match(student):
            submission.problems.append(f"student id {student!r} has characters a folder name cannot safely use")
            continue
        if relative == "timestamp.txt":
            submission.timestamp = read().decode(errors="replace").strip()
            continue
        if timestamp and not submission.timestamp:
            submission.timestamp = timestamp
        submission.files[relative] = read()
    return [by_student[name] for name in sorted(by_student)]


def collect(path: str | Path, assignment: str, *, named_regexp: str = DEFAULT_NAMED_REGEXP) -> list[Submission]:
    """Every student's submission under ``path`` (a folder or a .zip), read into memory."""
    path = Path(path)
    if not path.exists():
        raise SubmissionsError(f"No submissions at {path}: give a folder (one sub-folder per student) or a .zip.")
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise SubmissionsError(f"{path} is a file but not a zip archive.")
        with zipfile.ZipFile(path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            unsafe = [
                info.filename
                for info in infos
                if PurePosixPath(info.filename).is_absolute() or ".." in PurePosixPath(info.filename).parts
            ]
            if unsafe:
                raise SubmissionsError(f"{path} holds paths outside the archive ({unsafe[0]}); refusing to read it.")
            entries = {PurePosixPath(info.filename): _zip_reader(archive, info) for info in infos}
            submissions = _read_tree(entries, assignment, named_regexp)
    else:
        files = [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
        entries = {PurePosixPath(p.relative_to(path).as_posix()): _file_reader(p) for p in files}
        submissions = _read_tree(entries, assignment, named_regexp)
    if not submissions:
        raise SubmissionsError(f"No submissions found under {path}.")
    return submissions


def read_capped(path: Path) -> bytes:
    """A file's bytes, or a :class:`TooLarge` marker when it is over the size cap for its kind."""
    return _capped(path.stat().st_size, path.name, path.read_bytes)


def _file_reader(path: Path):
    return lambda: read_capped(path)


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo):
    return lambda: _capped(info.file_size, info.filename, lambda: archive.read(info))


def _capped(size: int, name: str, read) -> bytes:
    """The file's bytes; an oversized file becomes a :class:`TooLarge` marker instead of being read."""
    limit = MAX_NOTEBOOK_MB if name.endswith(".ipynb") else MAX_OTHER_FILES_MB
    return TooLarge(size) if size > limit * 2**20 else read()


class TooLarge(bytes):
    """Stands in for a file too large to read; remembers its size."""

    size: int

    def __new__(cls, size: int):
        obj = super().__new__(cls, b"")
        obj.size = size
        return obj


class NotebookProblem(ScalingmlError, ValueError):
    """A submitted file cannot be graded as a notebook; the message says why, for the learner."""


def parse_notebook(content: bytes):
    """The notebook in ``content``, or :class:`NotebookProblem` saying why it cannot be graded."""
    import nbformat

    if isinstance(content, TooLarge):
        raise NotebookProblem(
            f"the notebook is {content.size / 2**20:.0f} MB, over the {MAX_NOTEBOOK_MB} MB limit "
            "(clear the outputs and resubmit)"
        )
    if not content.strip():
        raise NotebookProblem("the notebook file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():  # notebooks saved by older Jupyter lack cell ids: fine to grade
            warnings.simplefilter("ignore", nbformat.validator.MissingIDFieldWarning)
            notebook = nbformat.reads(content.decode("utf-8"), as_version=4)
            nbformat.validate(notebook)
            nbformat.writes(notebook).encode("utf-8")  # what grading will write must be valid UTF-8
    except (UnicodeDecodeError, json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        raise NotebookProblem(f"the file is not valid notebook JSON ({type(exc).__name__}: {str(exc)[:120]})") from exc
    except nbformat.ValidationError as exc:
        raise NotebookProblem(f"the file is not a valid notebook ({exc.message[:120]})") from exc
    except UnicodeEncodeError as exc:  # an escaped lone surrogate ("\udcff") parses, but cannot be written back
        raise NotebookProblem(f"the notebook holds text that is not valid Unicode ({str(exc)[:120]})") from exc
    except Exception as exc:  # nbformat's readers raise several types for foreign files
        raise NotebookProblem(
            f"the file cannot be read as a notebook ({type(exc).__name__}: {str(exc)[:120]})"
        ) from exc
    return notebook


def match_notebooks(submission: Submission, expected: list[str]) -> tuple[dict[str, bytes], list[str]]:
    """Map each expected notebook name to the submitted bytes; notes say what was renamed or missing.

    A single notebook under another name, for a single expected notebook, is graded as
    that notebook (and noted): learners often save ``Copy1`` versions.
    """
    found, notes = {}, []
    submitted = submission.notebooks()
    for name in expected:
        if name in submission.files:
            found[name] = submission.files[name]
    missing = [name for name in expected if name not in found]
    extra = [name for name in submitted if name not in expected]
    if len(missing) == 1 and len(extra) == 1:
        found[missing[0]] = submission.files[extra[0]]
        notes.append(f"wrong notebook name: graded {extra[0]} as {missing[0]}")
    else:
        notes += [f"missing notebook {name}" for name in missing]
    return found, notes

"""`scalingml grade` on a class of bad and malicious submissions: every outcome, and no side effect.

One class (assignment 00_welcome) is graded once, two at a time, under tight limits;
the tests below read its report, gradebook and files. Each student is one case.
"""

import fcntl
import hashlib
import os
import pickle
import socket
import sqlite3
import threading
import time
import uuid

import nbformat
import psutil
import pytest

from scalingml import course, grading, sandbox
from tests.notebook_tools import REPO, scratch_copy, with_answer

NAME = "00_welcome"
SOLUTION = REPO / "solutions" / NAME / f"{NAME}.ipynb"
LIMITS = sandbox.Limits(cell_timeout=5, notebook_timeout=8, memory_mb=2048, processes=64, file_mb=16)
MARKER = f"scalingml-test-{uuid.uuid4().hex[:8]}"
WRONG_Q1 = "churn_rate = -1.0"
WARNING_EXPONENT = (
    "import warnings\n\ndef scaling_exponent(n1, t1, n2, t2):\n    if n2 < n1:\n"
    "        warnings.warn('points in decreasing order')\n    return math.log(t2 / t1) / math.log(n2 / n1)"
)
STDERR_EXPONENT = (
    "import sys\n\ndef scaling_exponent(n1, t1, n2, t2):\n    if n2 < n1:\n"
    "        print('swapping the points', file=sys.stderr)\n    return math.log(t2 / t1) / math.log(n2 / n1)"
)
needs_bwrap = pytest.mark.skipif(
    sandbox.bwrap_path() is None and not os.environ.get("CI"),
    reason="bubblewrap is not installed or cannot create namespaces here",
)


def q1(code):
    """The solution with question 1's answer replaced by ``code``: question 2 (2 points) stays right."""
    return {"q1_answer": code}


def hostile_answers(paths):
    """Student -> replaced answer cells. ``paths`` holds the files the code attacks."""
    return {
        "good": {},
        "wrong": q1(WRONG_Q1),
        "loop": q1("while True:\n    pass"),
        "stubborn-loop": q1(
            "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass"
        ),
        "dies": {"q2_answer": "import os\nos._exit(1)"},
        "slow": {"q1_answer": "import time\ntime.sleep(4.5)", "q2_answer": "time.sleep(4.5)"},
        "memory-bomb": q1("hog = bytearray(8 * 2**30)\nchurn_rate = 0.5"),
        "fork-bomb": q1(
            "import os, time\nfor _ in range(200):\n    if os.fork() == 0:\n"
            "        time.sleep(120)\n        os._exit(0)"
        ),
        "big-file": q1("with open('big.bin', 'wb') as f:\n    f.write(b'0' * 64 * 2**20)"),
        "chatty": q1("for _ in range(2_000_000):\n    print('x' * 50)"),
        "outlives": q1(
            f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', "
            f"'import time; time.sleep(600)', '{MARKER}'], start_new_session=True)\n{WRONG_Q1}"
        ),
        "cheat-gradebook": q1(
            "import sqlite3\n"
            f"try:\n    db = sqlite3.connect({str(paths['gradebook'])!r})\n"
            "    db.execute('UPDATE grade SET auto_score = 99'); db.commit()\nexcept Exception:\n    pass\n"
            f"{WRONG_Q1}"
        ),
        "read-solution": q1(
            "import json\n"
            f"try:\n    src = json.load(open({str(paths['solution'])!r}))\n"
            "    exec(''.join(next(c for c in src['cells'] if c['metadata'].get('nbgrader', {})"
            ".get('grade_id') == 'q1_answer')['source']))\n"
            f"except Exception:\n    {WRONG_Q1}"
        ),
        "vandal": q1(
            "import shutil, pathlib\n"
            f"for target in {[str(p) for p in paths['victims']]!r}:\n"
            "    shutil.rmtree(target, ignore_errors=True)\n"
            f"for target in {[str(p) for p in paths['writes']]!r}:\n"
            "    try:\n        pathlib.Path(target).write_text('pwned')\n    except OSError:\n        pass\n"
            f"{WRONG_Q1}"
        ),
        # a correct exponent that warns when the points come in decreasing order (a hidden test does that)
        "warns": {"q2_answer": WARNING_EXPONENT},
        "warns-and-wrong": {"q2_answer": WARNING_EXPONENT.replace("math.log(t2 / t1)", "math.log(t2 - t1 + 1)")},
        "logs-to-stderr": {"q2_answer": STDERR_EXPONENT},
        "network": q1(
            "import socket\n"
            f"try:\n    socket.create_connection(('127.0.0.1', {paths['port']}), timeout=3).sendall(b'leak')\n"
            f"except OSError:\n    pass\n{WRONG_Q1}"
        ),
    }


def edited_test_cell(notebook):
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "q1_tests":
            cell.source = "pass  # the tests are gone"
    return notebook


def deleted_test_cell(notebook):
    notebook.cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "q1_tests"]
    return notebook


def tree_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Listener(threading.Thread):
    """A loopback TCP server that records whether anyone connected."""

    def __init__(self):
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.5)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.running = True

    def run(self):
        while self.running:
            try:
                connection, _ = self.server.accept()
                self.connections += 1
                connection.close()
            except OSError:
                continue


@pytest.fixture(scope="module")
def graded(tmp_path_factory, worker_id):
    """The class, graded once per test session: the first xdist worker grades, the others read its result."""
    base = tmp_path_factory.getbasetemp()
    shared = (base if worker_id == "master" else base.parent) / "hostile-class"
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = shared / "result.pickle"
        if not cached.exists():
            cached.write_bytes(pickle.dumps(grade_the_class(shared)))
        return pickle.loads(cached.read_bytes())


def grade_the_class(tmp):
    root = scratch_copy([NAME], tmp / "course", REPO)
    api = course.nbgrader_api(root)
    with course.working_directory(root):
        assert api.generate_assignment(NAME, force=True)["success"]
    submissions = tmp / "submissions"
    listener = Listener()
    listener.start()
    outside = tmp / "outside.txt"
    paths = {
        "gradebook": root / "grading" / "gradebook.db",
        "solution": root / "solutions" / NAME / f"{NAME}.ipynb",
        "victims": [submissions / "good", root / "solutions", root / "grading" / "submitted" / "good"],
        "writes": [outside, root / "solutions" / "pwned.txt", REPO / f"{MARKER}.txt"],
        "port": listener.port,
    }
    for student, answers in hostile_answers(paths).items():
        with_answer(SOLUTION, answers, submissions / student / f"{NAME}.ipynb")
    for student, change in {"edited-tests": edited_test_cell, "deleted-tests": deleted_test_cell}.items():
        notebook = change(nbformat.read(with_answer(SOLUTION, q1(WRONG_Q1), tmp / "x.ipynb"), as_version=4))
        (submissions / student).mkdir(parents=True)
        nbformat.write(notebook, submissions / student / f"{NAME}.ipynb")
    files = {
        "invalid-json": b'{"cells": [',
        "empty": b"",
        "not-a-notebook": b'{"hello": "world"}',
        "binary": os.urandom(2048),
    }
    for student, content in files.items():
        (submissions / student).mkdir(parents=True)
        (submissions / student / f"{NAME}.ipynb").write_bytes(content)
    (submissions / "huge").mkdir()
    with open(submissions / "huge" / f"{NAME}.ipynb", "wb") as handle:
        handle.truncate(25 * 2**20)
    (submissions / "renamed").mkdir()
    (submissions / "renamed" / f"{NAME}-Copy1.ipynb").write_bytes(SOLUTION.read_bytes())
    (submissions / "no-notebook").mkdir()
    (submissions / "no-notebook" / "answers.txt").write_text("I wrote my answers here")

    before = tree_digest(submissions)
    (tmp / "scratch").mkdir()
    (tmp / "scratch" / "keep.txt").write_text("the caller's own file")  # grading must leave it alone
    start = time.monotonic()
    report = grading.grade(
        NAME, submissions, course_root=root, jobs=2, limits=LIMITS, show_progress=False, scratch_dir=tmp / "scratch"
    )
    seconds = time.monotonic() - start
    listener.running = False
    return {
        "report": report,
        "root": root,
        "tmp": tmp,
        "submissions": submissions,
        "before": before,
        "seconds": seconds,
        "connections": listener.connections,
        "outside": outside,
    }


def status(graded, student):
    return graded["report"].statuses.set_index("student").loc[student]


def score(graded, student, question=None):
    scores = graded["report"].scores.set_index(["student", "question"])["score"]
    return scores.loc[student].sum() if question is None else scores.loc[(student, question)]


pytestmark = [pytest.mark.slow]


def test_well_behaved_submissions_are_graded_as_usual(graded):
    assert status(graded, "good")["status"] == grading.GRADED and score(graded, "good") == 3
    assert status(graded, "wrong")["status"] == grading.GRADED and score(graded, "wrong") == 2


def test_a_warning_in_a_passed_test_costs_no_points_and_is_recorded(graded):
    row = status(graded, "warns")
    assert score(graded, "warns", "q2_tests") == 2 and row["status"] == grading.GRADED
    assert "q2_tests: UserWarning: points in decreasing order" in row["reasons"] and "not counted" in row["reasons"]
    feedback = graded["root"] / "grading" / "feedback" / "warns" / NAME / f"{NAME}.html"
    assert "points in decreasing order" in feedback.read_text()


def test_a_warning_does_not_rescue_a_wrong_answer_and_stderr_prints_are_harmless(graded):
    assert score(graded, "warns-and-wrong", "q2_tests") == 0
    logged = status(graded, "logs-to-stderr")
    assert score(graded, "logs-to-stderr", "q2_tests") == 2 and "q2_tests: swapping the points" in logged["reasons"]


@pytest.mark.parametrize(
    "student, content_problem",
    [
        ("invalid-json", "not valid notebook JSON"),
        ("empty", "empty"),
        ("not-a-notebook", "not a valid notebook"),
        ("binary", "not valid notebook JSON"),
        ("huge", "over the 20 MB limit"),
    ],
)
def test_unreadable_notebooks_are_rejected_with_a_reason_and_score_zero(graded, student, content_problem):
    row = status(graded, student)
    assert row["status"] == grading.REJECTED and content_problem in row["reasons"]
    assert score(graded, student) == 0 and row["max_score"] == 3
    assert (graded["root"] / "grading" / "rejected" / student / NAME / f"{NAME}.ipynb").is_file()


def test_missing_and_misnamed_notebooks(graded):
    missing = status(graded, "no-notebook")
    assert missing["status"] == grading.MISSING and f"missing notebook {NAME}.ipynb" in missing["reasons"]
    assert score(graded, "no-notebook") == 0
    renamed = status(graded, "renamed")
    assert renamed["status"] == grading.FLAGGED and "wrong notebook name" in renamed["reasons"]
    assert score(graded, "renamed") == 3


@pytest.mark.parametrize("student", ["edited-tests", "deleted-tests"])
def test_edited_or_deleted_test_cells_are_restored_and_flagged(graded, student):
    row = status(graded, student)
    assert row["status"] == grading.FLAGGED and "restored: q1_tests" in row["reasons"]
    assert score(graded, student, "q1_tests") == 0 and score(graded, student, "q2_tests") == 2


def test_an_infinite_loop_is_interrupted_and_the_rest_graded(graded):
    row = status(graded, "loop")
    assert row["status"] == grading.FLAGGED and "per-cell limit" in row["reasons"]
    assert score(graded, "loop", "q1_tests") == 0 and score(graded, "loop", "q2_tests") == 2


@pytest.mark.parametrize(
    "student, why, points",
    [
        ("slow", "wall limit", 0),
        ("stubborn-loop", "wall limit", 0),
        ("dies", "kernel died", 1),
        ("fork-bomb", "processes", 0),
    ],
)
def test_runs_that_cannot_finish_are_stopped_and_score_only_what_ran(graded, student, why, points):
    row = status(graded, student)
    assert row["status"] == grading.STOPPED and why in row["reasons"]
    assert score(graded, student) == points


def test_memory_and_file_size_limits_turn_into_errors_not_crashes(graded):
    for student in ("memory-bomb", "big-file"):
        assert score(graded, student, "q1_tests") == 0 and score(graded, student, "q2_tests") == 2, student


def test_a_hundred_megabytes_of_output_is_truncated(graded):
    row = status(graded, "chatty")
    assert "output truncated" in row["reasons"]
    autograded = graded["root"] / "grading" / "autograded" / "chatty" / NAME / f"{NAME}.ipynb"
    assert autograded.stat().st_size < 3 * 2**20
    assert score(graded, "chatty", "q2_tests") == 2


@needs_bwrap
def test_student_code_cannot_change_scores_or_read_solutions(graded):
    assert score(graded, "cheat-gradebook") == 2, "the submission changed its own score"
    assert score(graded, "read-solution", "q1_tests") == 0, "the submission read the solution"
    with sqlite3.connect(graded["root"] / "grading" / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT max(auto_score) FROM grade").fetchone()[0] <= 2


@needs_bwrap
def test_student_code_cannot_touch_other_files_or_the_network(graded):
    assert tree_digest(graded["submissions"]) == graded["before"], "an original submission changed"
    assert (graded["root"] / "solutions" / NAME / f"{NAME}.ipynb").is_file()
    assert not (graded["root"] / "solutions" / "pwned.txt").exists()
    assert not graded["outside"].exists() and not (REPO / f"{MARKER}.txt").exists()
    assert score(graded, "good") == 3
    assert graded["connections"] == 0


def test_no_process_outlives_its_grading(graded):
    leftovers = [p.pid for p in psutil.process_iter(["cmdline"]) if MARKER in " ".join(p.info["cmdline"] or [])]
    scratch = str(graded["tmp"] / "scratch")
    # kernels name their connection file there; runners work there
    ours = [
        p.pid
        for p in psutil.process_iter(["cmdline", "cwd"])
        if scratch in " ".join(p.info["cmdline"] or []) or (p.info["cwd"] or "").startswith(scratch)
    ]
    assert leftovers == [] and ours == []


def test_grading_removes_only_its_own_scratch_files(graded):
    scratch = graded["tmp"] / "scratch"
    assert (scratch / "keep.txt").read_text() == "the caller's own file"
    assert [p.name for p in scratch.iterdir()] == ["keep.txt"], "the run left its temporary folder behind"


def test_grading_time_is_bounded_by_the_limits(graded):
    # two at a time; the worst (the stubborn loop) is cut at its wall limit
    statuses = graded["report"].statuses
    assert statuses["seconds"].max() <= LIMITS.notebook_timeout + 30


def test_reports_and_feedback_are_written_without_hidden_tests(graded):
    report = graded["report"]
    for name in ("grades.csv", "questions.csv", "statuses.csv"):
        assert (report.report_dir / name).is_file()
    questions = report.questions.set_index("question")
    assert set(questions.index) == {"q1_tests", "q2_tests"}
    assert 0 < questions.loc["q1_tests", "errored_share"] < 1
    feedback = graded["root"] / "grading" / "feedback" / "good" / NAME / f"{NAME}.html"
    html = feedback.read_text()
    assert "churn_rate" in html and "HIDDEN TESTS" not in html and "_truth" not in html


def test_regrading_is_safe_and_gives_the_same_scores(graded, tmp_path):
    first = graded["report"].scores.set_index(["student", "question"])["score"]
    subset = tmp_path / "again"
    for student in ("good", "wrong", "invalid-json"):
        (subset / student).mkdir(parents=True)
        for path in (graded["submissions"] / student).iterdir():
            (subset / student / path.name).write_bytes(path.read_bytes())
    again = grading.grade(
        NAME, subset, course_root=graded["root"], jobs=2, limits=LIMITS, regrade=True, show_progress=False
    )
    second = again.scores.set_index(["student", "question"])["score"]
    assert second.to_dict() == first.loc[second.index].to_dict()
    api = course.nbgrader_api(graded["root"])
    everyone = grading.read_scores(api, NAME)
    assert everyone["student"].nunique() == len(graded["report"].statuses), "a student's grades were lost"

"""`scalingml grade` at class scale: a killed run resumes where it stopped; two runs at once are refused;
a read-only or full course folder is refused before any learner's code runs.

Every run here is a real subprocess of the real CLI, killed with SIGKILL (its whole process group) or
ended by the documented crash hook (``SCALINGML_TEST_CRASH_AT``, :mod:`scalingml.grading.ledger`).
"""

import hashlib
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from scalingml import course, grading
from scalingml.grading import ledger
from tests.notebook_tools import REPO, scratch_copy
from tests.test_grade_options import postgres_url  # noqa: F401 (a fixture)

NAME = "00_welcome"
SOLUTION = REPO / "solutions" / NAME / f"{NAME}.ipynb"
RELEASE = REPO / "exercises" / NAME / f"{NAME}.ipynb"
STUDENTS = {"alice": SOLUTION, "bob": RELEASE, "carol": SOLUTION, "dave": RELEASE, "erin": SOLUTION}
SLOW = "erin"  # her notebook sleeps a while in an extra cell: a kill during her execution is easy to time


def slow(notebook: bytes) -> bytes:
    parsed = nbformat.reads(notebook.decode(), as_version=4)
    parsed.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(6)", id="slow-sleep"))  # one id: same bytes
    return nbformat.writes(parsed).encode()


pytestmark = pytest.mark.slow


def make_class(tmp_path: Path, label: str) -> tuple[Path, Path]:
    root = scratch_copy([NAME], tmp_path / label / "course", REPO)
    subs = tmp_path / label / "subs"
    for student, notebook in STUDENTS.items():
        (subs / student).mkdir(parents=True)
        content = notebook.read_bytes()
        (subs / student / f"{NAME}.ipynb").write_bytes(slow(content) if student == SLOW else content)
    return root, subs


def start(root: Path, subs: Path, *extra: str, crash_at: str | None = None) -> subprocess.Popen:
    """The CLI on the class, in its own process group (so a kill reaches its runners and kernels too)."""
    env = {k: v for k, v in os.environ.items() if k != ledger.CRASH_ENV} | {"SCALINGML_PROGRESS": "1"}
    if crash_at:
        env[ledger.CRASH_ENV] = crash_at
    command = [sys.executable, "-m", "scalingml", "grade", NAME, str(subs), "--jobs", "1", *extra]
    return subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=600)
    return process.returncode, out, err


def state(root: Path) -> dict:
    """What a run leaves: every gradebook score, each student's status and reasons, every feedback file's content."""
    with sqlite3.connect(root / "grading" / "gradebook.db") as db:
        scores = db.execute(
            "SELECT student.id, base_cell.name, grade.auto_score FROM grade "
            "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
            "JOIN student ON submitted_assignment.student_id = student.id "
            "JOIN base_cell ON grade.cell_id = base_cell.id ORDER BY 1, 2"
        ).fetchall()
    reports = root / "grading" / "reports" / NAME
    statuses = pd.read_csv(reports / "statuses.csv").drop(columns=["seconds", "recorded_at"])
    grades = pd.read_csv(reports / "grades.csv").drop(columns=["recorded_at"])
    feedback = {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "grading" / "feedback").rglob("*"))
        if p.is_file()
    }
    return {
        "scores": scores,
        "statuses": statuses.astype(str).to_dict("records"),
        "feedback": feedback,
        "grades": grades.astype(str).to_dict("records"),
        "reports": sorted(p.name for p in reports.iterdir()),
    }


def assert_same_state(found: dict, expected: dict) -> None:
    for part, value in expected.items():
        if isinstance(value, dict):
            differing = sorted(k for k in value.keys() | found[part].keys() if value.get(k) != found[part].get(k))
            assert not differing, f"{part} differ: {differing}"
        assert found[part] == value, part


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root, subs = make_class(tmp_path_factory.mktemp("reference"), "ref")
    code, out, err = finish(start(root, subs))
    assert code == 0, out + err
    assert f"grading {NAME}: {len(STUDENTS)}/{len(STUDENTS)}, " in err and "/min" in err, "the progress line"
    assert "time: execution " in out and "recording " in out and "feedback " in out, "where the time went"
    return state(root)


def finished_students(root: Path) -> set[str]:
    path = root / "grading" / "ledger" / f"{NAME}.json"
    return set(json.loads(path.read_text())["students"]) if path.is_file() else set()


def running_children(pid: int) -> bool:
    """Whether any thread of ``pid`` has a child process (a kernel runner) now."""
    try:
        return any(p.read_text().split() for p in Path(f"/proc/{pid}/task").glob("*/children"))
    except OSError:
        return False


def kill_during_execution(root: Path, subs: Path) -> None:
    """SIGKILL the run's process group once one student is finished and a kernel runner is executing the next."""
    process = start(root, subs)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if finished_students(root) and running_children(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"


def crash(root: Path, subs: Path, step: str) -> None:
    code, out, err = finish(start(root, subs, crash_at=step))
    assert code == 137, f"the crash hook did not fire: {out}{err}"


@pytest.mark.parametrize("where", ["execution", "recording:1", "feedback:2"])
def test_a_killed_run_resumes_and_ends_identical_to_an_uninterrupted_one(tmp_path, reference, where):
    root, subs = make_class(tmp_path, "class")
    if where == "execution":
        kill_during_execution(root, subs)
    else:
        crash(root, subs, where)
    done = finished_students(root)
    assert 0 < len(done) < len(STUDENTS), f"killed with {done} finished"
    if where.startswith("feedback"):  # killed between writing carol's feedback and renaming it into place
        assert list((root / "grading" / ".feedback-staging" / "carol").rglob("*.html")), "nbgrader had written it"
        assert not (root / "grading" / "feedback" / "carol").exists(), "half-done feedback is not visible"
    reports = root / "grading" / "reports" / NAME
    assert not reports.exists() or not [p for p in reports.iterdir() if p.suffix != ".csv"], "no partial report"
    code, out, err = finish(start(root, subs))
    assert code == 0, out + err
    assert f"{len(done)} submission{'s' if len(done) > 1 else ''} kept from an earlier run" in out, out
    assert_same_state(state(root), reference)
    assert finished_students(root) == set(STUDENTS)


def test_regrade_grades_everyone_again(tmp_path, reference):
    root, subs = make_class(tmp_path, "class")
    crash(root, subs, "recording:2")
    code, out, err = finish(start(root, subs, "--regrade"))
    assert code == 0, out + err
    assert "kept from an earlier run" not in out
    assert_same_state(state(root), reference)


def test_a_second_run_on_the_course_is_refused_naming_the_first(tmp_path, reference):
    root, subs = make_class(tmp_path, "class")
    first = start(root, subs)
    lock = root / "grading" / "grade.lock"
    deadline = time.monotonic() + 120
    while not (lock.is_file() and lock.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    code, out, err = finish(start(root, subs))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"pid {first.pid} since " in lines[0] and "Another scalingml grade run" in lines[0], err
    code, out, err = finish(first)
    assert code == 0, out + err
    assert_same_state(state(root), reference)
    with sqlite3.connect(root / "grading" / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_killed_run_leaves_no_stale_lock(tmp_path):
    root, subs = make_class(tmp_path, "class")
    crash(root, subs, "recording:0")
    assert (root / "grading" / "grade.lock").is_file()
    code, out, err = finish(start(root, subs))
    assert code == 0, out + err


def test_a_second_run_on_a_postgresql_gradebook_is_refused_and_the_gradebook_stays_whole(
    tmp_path,
    reference,
    postgres_url,  # noqa: F811 (the fixture)
):
    root, subs = make_class(tmp_path, "class")
    first = start(root, subs, "--db", postgres_url)
    lock = root / "grading" / "grade.lock"
    deadline = time.monotonic() + 120
    while not (lock.is_file() and lock.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    code, out, err = finish(start(root, subs, "--db", postgres_url))
    assert code == 2 and f"pid {first.pid} since " in err and len(err.strip().splitlines()) == 1, err
    code, out, err = finish(first)
    assert code == 0, out + err
    scores = grading.read_scores(course.nbgrader_api(root, **{"CourseDirectory.db_url": postgres_url}), NAME)
    assert not scores.duplicated(["student", "notebook", "question"]).any()
    by_student = scores.groupby("student")["score"].sum().to_dict()
    expected: dict[str, float] = {}
    for student, _cell, score in reference["scores"]:
        expected[student] = expected.get(student, 0.0) + (score or 0.0)
    assert by_student == expected


def course_files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


@pytest.fixture
def mounted(tmp_path):
    """Mount points made in the test, unmounted afterwards; skip where this process cannot mount (not root)."""
    points = []

    def mount(*args: str) -> None:
        result = subprocess.run(["mount", *args], capture_output=True, text=True)
        if result.returncode:
            pytest.skip(f"cannot mount here: {result.stderr.strip()}")
        points.append(args[-1])

    yield mount
    for point in reversed(points):
        subprocess.run(["umount", point], capture_output=True)


def refused_at_once(root: Path, subs: Path, message: str) -> None:
    before = course_files(root)
    began = time.monotonic()
    code, out, err = finish(start(root, subs))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    # erin's notebook sleeps 6 s: the refusal came before any submission ran, and nothing was written
    assert time.monotonic() - began < 30
    assert course_files(root) == before


def test_a_read_only_course_folder_is_refused_before_anything_runs(tmp_path, mounted):
    root, subs = make_class(tmp_path, "class")
    (root / "grading").mkdir(exist_ok=True)
    mounted("--bind", str(root), str(root))
    mounted("-o", "remount,ro,bind", str(root))
    refused_at_once(root, subs, "Cannot write in")


def test_a_full_disk_is_refused_before_anything_runs(tmp_path, mounted):
    small = tmp_path / "small"
    small.mkdir()
    mounted("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(small))
    root, subs = make_class(small, "class")
    (root / "grading").mkdir(exist_ok=True)
    refused_at_once(root, subs, "MB free for")


def test_a_dask_worker_lost_mid_run_leaves_every_submission_recorded_and_the_run_says_so(tmp_path, reference):
    from distributed import Client, LocalCluster

    root, subs = make_class(tmp_path, "class")
    killed: list[str] = []
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
        ) as cluster,
        Client(cluster) as client,
    ):
        pids = client.run(os.getpid)

        def kill_a_busy_worker() -> None:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and not killed:
                busy = [address for address, keys in client.processing().items() if keys and address in pids]
                if finished_students(root) and busy:
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed.append(busy[0])
                time.sleep(0.05)

        killer = threading.Thread(target=kill_a_busy_worker, daemon=True)
        killer.start()
        report = grading.grade(
            NAME, subs, course_root=root, dask_address=cluster.scheduler_address, show_progress=False
        )
        killer.join(timeout=10)
    assert killed, "no worker was busy to kill"
    statuses = report.statuses.set_index("student")
    assert sorted(statuses.index) == sorted(STUDENTS), "a submission went missing"
    for student, row in statuses.iterrows():
        assert row["status"] == grading.GRADED or "KilledWorker" in row["reasons"], (student, row.to_dict())
    graded = statuses[statuses["status"] == grading.GRADED].index
    expected = {}
    for student, _cell, score in reference["scores"]:
        expected[student] = expected.get(student, 0.0) + (score or 0.0)
    assert {s: statuses.loc[s, "score"] for s in graded} == {s: expected[s] for s in graded}
    assert f"Dask worker(s) lost during the run ({killed[0]})" in report.format()

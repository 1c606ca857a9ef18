"""`scalingml grade` inputs and back ends: a zip of zip_collect files, a gradebook URL, a Dask cluster, the CLI."""

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from scalingml import course, grading
from tests.notebook_tools import REPO, scratch_copy

NAME = "00_welcome"
SOLUTION = REPO / "solutions" / NAME / f"{NAME}.ipynb"
RELEASE = REPO / "exercises" / NAME / f"{NAME}.ipynb"

pytestmark = pytest.mark.slow


def scores_by_student(report):
    return report.scores.groupby("student")["score"].sum().to_dict()


def test_zip_of_zip_collect_files_into_a_gradebook_url(tmp_path):
    root = scratch_copy([NAME], tmp_path / "course", REPO)
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(SOLUTION, f"{NAME}_alice_attempt_2026-11-20-17-05-00_{NAME}.ipynb")
        zipped.write(RELEASE, f"{NAME}_bob_attempt_2026-11-21-09-30-00_{NAME}.ipynb")
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'gradebook.db'}"
    (tmp_path / "elsewhere").mkdir()
    report = grading.grade(NAME, archive, course_root=root, db_url=url, jobs=2, show_progress=False)
    assert scores_by_student(report) == {"alice": 3.0, "bob": 0.0}
    api = course.nbgrader_api(root, **{"CourseDirectory.db_url": url})
    with api.gradebook as gradebook:
        submission = gradebook.find_submission(NAME, "alice")
        assert submission.timestamp.strftime("%Y-%m-%d %H:%M") == "2026-11-20 17:05"
    assert not (root / "grading" / "gradebook.db").exists(), "the default gradebook was written"
    assert (root / "grading" / "feedback" / "alice" / NAME / f"{NAME}.html").is_file()


def test_grading_on_a_dask_cluster_gives_the_same_scores_and_can_show_hidden_tests(tmp_path):
    from distributed import LocalCluster

    root = scratch_copy([NAME], tmp_path / "course", REPO)
    for student, notebook in {"alice": SOLUTION, "bob": RELEASE}.items():
        (tmp_path / "subs" / student).mkdir(parents=True)
        (tmp_path / "subs" / student / f"{NAME}.ipynb").write_bytes(notebook.read_bytes())
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0", silence_logs=logging.ERROR
    ) as cluster:
        report = grading.grade(
            NAME,
            tmp_path / "subs",
            course_root=root,
            dask_address=cluster.scheduler_address,
            show_hidden_tests=True,
            show_progress=False,
        )
    assert scores_by_student(report) == {"alice": 3.0, "bob": 0.0}
    assert (report.statuses["status"] == grading.GRADED).all()
    feedback = (root / "grading" / "feedback" / "alice" / NAME / f"{NAME}.html").read_text()
    assert "_truth" in feedback, "--show-hidden-tests must keep the hidden tests in the feedback"


def run_cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "scalingml", "grade", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_cli_prints_the_status_table_and_refuses_bad_input_in_one_line(tmp_path):
    root = scratch_copy([NAME], tmp_path / "course", REPO)
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    (tmp_path / "subs" / "alice" / f"{NAME}.ipynb").write_bytes(SOLUTION.read_bytes())
    result = run_cli(NAME, tmp_path / "subs", "--jobs", "1", cwd=root)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "alice" in result.stdout and "graded" in result.stdout and "isolation:" in result.stdout
    for args, message in [
        ((NAME, tmp_path / "nothing"), "No submissions at"),
        (("99_unknown", tmp_path / "subs"), "Unknown assignment"),
        ((NAME, tmp_path / "subs", "--dask", "tcp://127.0.0.1:9"), "127.0.0.1:9"),
    ]:
        result = run_cli(*args, cwd=root)
        assert result.returncode == 2 and message in result.stderr, result.stderr[-2000:]
        assert "Traceback" not in result.stderr


@pytest.fixture
def postgres_url():
    """A throw-away PostgreSQL server on a unix socket (no TCP), where the binaries exist; else skip."""
    pytest.importorskip("psycopg2")
    tools = [shutil.which(name) for name in ("initdb", "pg_ctl", "createdb")]
    if not all(tools):
        pytest.skip("PostgreSQL server binaries are not installed")
    as_user = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        if not shutil.which("runuser") or subprocess.run(["id", "postgres"], capture_output=True).returncode:
            pytest.skip("running as root without a postgres user")
        as_user = ["runuser", "-u", "postgres", "--"]
    home = Path(tempfile.mkdtemp(prefix="scalingml-pg-"))  # pytest's tmp_path is closed to other users
    data, sockets = home / "data", home / "sockets"
    sockets.mkdir()
    if as_user:
        for folder in (home, sockets):
            shutil.chown(folder, "postgres")
    initdb, pg_ctl, createdb = tools
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "postgres"], check=True, capture_output=True
    )
    options = f"-k {sockets} -p 55432 -c listen_addresses=''"
    subprocess.run(
        [*as_user, pg_ctl, "-D", str(data), "-o", options, "-w", "-l", str(home / "log"), "start"],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [*as_user, createdb, "-h", str(sockets), "-p", "55432", "-U", "postgres", "scalingml"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg2://postgres@/scalingml?host={sockets}&port=55432"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def test_a_postgresql_gradebook_url(tmp_path, postgres_url):
    root = scratch_copy([NAME], tmp_path / "course", REPO)
    for student, notebook in {"alice": SOLUTION, "bob": RELEASE}.items():
        (tmp_path / "subs" / student).mkdir(parents=True)
        (tmp_path / "subs" / student / f"{NAME}.ipynb").write_bytes(notebook.read_bytes())
    for _ in range(2):  # grading again replaces, never duplicates
        report = grading.grade(
            NAME, tmp_path / "subs", course_root=root, db_url=postgres_url, jobs=2, regrade=True, show_progress=False
        )
        assert scores_by_student(report) == {"alice": 3.0, "bob": 0.0}
    scores = grading.read_scores(course.nbgrader_api(root, **{"CourseDirectory.db_url": postgres_url}), NAME)
    assert len(scores) == 4 and not (root / "grading" / "gradebook.db").exists()

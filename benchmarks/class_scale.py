"""`scalingml grade` at class scale: throughput against plain nbgrader, the serial floor, a 1,000-learner projection.

    python benchmarks/class_scale.py                     # 200 submissions of 02_model_complexity
    python benchmarks/class_scale.py --students 12       # a quick run on a shared machine

A synthetic class (about 60% correct, 25% partly wrong, 10% raising, 5% looping until the per-cell
timeout) is graded four times, each in its own scratch course and gradebook:

* ``nbgrader autograde ASSIGNMENT --create``: the nbgrader command, one student after another, no sandbox,
  no feedback;
* ``scalingml grade --jobs 1``, ``--jobs 2``: sandboxed, with feedback and reports;
* ``scalingml grade --dask`` on a local scheduler with two worker processes.

Every gradebook must hold the same scores (the script exits 1 if not). From the ``--jobs 1`` run it splits a
submission's cost into the part that runs in parallel (kernel execution) and the serial part (gradebook writes,
feedback, reports: :class:`scalingml.grading.class_progress.Timings`), and projects a class of 1,000 on 16
workers by Amdahl's law: ``N * (parallel / workers + serial)``, whose floor ``N * serial`` no number of workers
lowers.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scalingml import course, grading, sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests/
from tests.notebook_tools import scratch_copy, with_answer  # noqa: E402
from tests.wrong_answers import WRONG_ANSWERS  # noqa: E402

ASSIGNMENT = "02_model_complexity"
#: The class's mix: (kind, share); every kind gets at least one submission.
MIX = (("correct", 0.60), ("partly wrong", 0.25), ("raising", 0.10), ("looping", 0.05))
RAISING = {"q2_answer": "raise RuntimeError('my pipeline broke on the new data')"}
LOOPING = {"q3_answer": "while True:\n    pass"}


def kinds(students: int) -> list[str]:
    """The kind of each submission, in class order (interleaved, so a slow kind is not all at the end).

    >>> kinds(12)
    ['correct', 'partly wrong', 'raising', 'looping', 'correct', 'partly wrong', 'correct', 'partly wrong', \
'correct', 'correct', 'correct', 'correct']
    """
    counts = {kind: max(1, round(share * students)) for kind, share in MIX}
    counts["correct"] = max(0, students - sum(n for kind, n in counts.items() if kind != "correct"))
    order = []
    while len(order) < students:
        for kind, _share in MIX:
            if counts[kind] and len(order) < students:
                order.append(kind)
                counts[kind] -= 1
    return order


def make_class(course_root: Path, students: int, folder: Path) -> dict[str, str]:
    """``students`` submissions of the mix under ``folder``; returns ``{student: kind}``."""
    name = f"{ASSIGNMENT}.ipynb"
    solution = course_root / course.SOURCE_DIR / ASSIGNMENT / name
    wrong = WRONG_ANSWERS[ASSIGNMENT]
    made = {}
    for index, kind in enumerate(kinds(students)):
        student = f"student{index:04d}"
        target = folder / student / name
        answers = {"correct": {}, "raising": RAISING, "looping": LOOPING}.get(kind)
        with_answer(solution, wrong[index % len(wrong)].answers if answers is None else answers, target)
        made[student] = kind
    return made


def plain_nbgrader(course_root: Path, submissions: Path, workdir: Path) -> tuple[float, Path]:
    """``nbgrader autograde`` of the whole class in nbgrader's own layout; wall seconds and the course."""
    root = scratch_copy([ASSIGNMENT], workdir, course_root)
    submitted = root / course.GRADING_DIR / "submitted"
    for student in submissions.iterdir():  # nbgrader's layout: STUDENT/ASSIGNMENT/
        shutil.copytree(student, submitted / student.name / ASSIGNMENT)
    course.ensure_scripts_on_path()
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*nbgrader, "generate_assignment", ASSIGNMENT, "--force"], cwd=root, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([*nbgrader, "autograde", ASSIGNMENT, "--create"], cwd=root, check=True, capture_output=True)
    return time.perf_counter() - start, root


def scalingml_grade(course_root: Path, submissions: Path, workdir: Path, **options) -> tuple[float, object, Path]:
    """``scalingml grade`` of the class in a fresh scratch course; wall seconds, the report and the course."""
    root = scratch_copy([ASSIGNMENT], workdir, course_root)
    with course.working_directory(root):
        course.nbgrader_api(root).generate_assignment(ASSIGNMENT, force=True)  # as for nbgrader: not timed
    start = time.perf_counter()
    report = grading.grade(ASSIGNMENT, submissions, course_root=root, show_progress=False, **options)
    return time.perf_counter() - start, report, root


def scores_of(root: Path) -> dict[tuple[str, str], float]:
    scores = grading.read_scores(course.nbgrader_api(root), ASSIGNMENT)
    autograded = scores[scores["autograded"]]
    return {(row.student, row.question): row.score for row in autograded.itertuples()}


def amdahl(students: int, parallel: float, serial: float, workers: int) -> float:
    """Seconds to grade ``students`` when each costs ``parallel`` seconds on a worker plus ``serial`` in one process.

    >>> amdahl(1000, 15.0, 0.5, 16)
    1437.5
    """
    return students * (parallel / workers + serial)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--project", type=int, default=1000, help="class size to project (default 1000)")
    parser.add_argument("--workers", type=int, default=16, help="workers to project for (default 16)")
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("SCALINGML_PROGRESS", "0")
    course_root = course.root()
    workdir = Path(tempfile.mkdtemp(prefix="scalingml-class-scale-"))
    try:
        submissions = workdir / "submissions"
        mix = make_class(course_root, args.students, submissions)
        shares = {kind: sum(1 for k in mix.values() if k == kind) for kind, _ in MIX}
        load = os.getloadavg()[0]
        print(
            f"{args.students} submissions of {ASSIGNMENT} ({', '.join(f'{n} {k}' for k, n in shares.items())}); "
            f"{os.cpu_count()} cores, load {load:.2f}; isolation: {sandbox.isolation()}",
            flush=True,
        )
        walls, gradebooks = {}, {}
        walls["nbgrader"], gradebooks["nbgrader"] = plain_nbgrader(course_root, submissions, workdir / "nbgrader")
        print(f"nbgrader autograde, one at a time: {walls['nbgrader']:.1f} s", flush=True)
        reports = {}
        for jobs in (1, 2):
            label = f"--jobs {jobs}"
            walls[label], reports[label], gradebooks[label] = scalingml_grade(
                course_root, submissions, workdir / f"jobs{jobs}", jobs=jobs
            )
            print(f"scalingml grade {label}: {walls[label]:.1f} s; {reports[label].timings.format()}", flush=True)
        if not args.skip_dask:
            from distributed import LocalCluster

            with LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
            ) as cluster:
                label = "--dask (2 workers)"
                walls[label], reports[label], gradebooks[label] = scalingml_grade(
                    course_root, submissions, workdir / "dask", dask_address=cluster.scheduler_address, jobs=2
                )
            print(f"scalingml grade {label}: {walls[label]:.1f} s; {reports[label].timings.format()}", flush=True)

        reference = scores_of(gradebooks["nbgrader"])
        differing = {label: root for label, root in gradebooks.items() if scores_of(root) != reference}
        for label, root in differing.items():
            found = scores_of(root)
            diff = sorted(k for k in reference.keys() | found.keys() if reference.get(k) != found.get(k))
            print(f"SCORES DIFFER: {label} vs nbgrader at {diff[:5]} (of {len(diff)})")
        print(f"same scores in every gradebook: {not differing}")

        timings = reports["--jobs 1"].timings
        parallel, serial = timings.execution / args.students, timings.serial / args.students
        print(
            f"per submission (from --jobs 1): parallel {parallel:.2f} s (kernel execution), serial {serial:.2f} s "
            f"(preparing {timings.seconds['preparing'] / args.students:.2f}, "
            f"recording {timings.seconds['recording'] / args.students:.2f}, "
            f"feedback {timings.seconds['feedback'] / args.students:.2f}, "
            f"reports {timings.seconds['reports'] / args.students:.2f}): serial share {timings.serial_share:.0%}"
        )
        print(
            f"speed-up over nbgrader: --jobs 1 {walls['nbgrader'] / walls['--jobs 1']:.2f}x, "
            f"--jobs 2 {walls['nbgrader'] / walls['--jobs 2']:.2f}x"
            + (
                f", --dask {walls['nbgrader'] / walls['--dask (2 workers)']:.2f}x"
                if "--dask (2 workers)" in walls
                else ""
            )
        )
        projected = amdahl(args.project, parallel, serial, args.workers)
        floor = args.project * serial
        print(
            f"projection: {args.project} learners on {args.workers} workers ~ {projected / 60:.0f} min "
            f"(Amdahl: {args.project} x ({parallel:.2f} s / {args.workers} + {serial:.2f} s)); serial floor "
            f"{floor / 60:.0f} min, which no number of workers lowers; the best speed-up is "
            f"{(parallel + serial) / serial:.0f}x"
        )
        return 0 if not differing else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

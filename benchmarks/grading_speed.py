"""How much faster `scalingml grade --jobs N` grades a class than plain, serial `nbgrader autograde`.

    python benchmarks/grading_speed.py                      # 40 submissions of 00_welcome, --jobs 2
    python benchmarks/grading_speed.py --students 60 --assignment 02_model_complexity --jobs 2

One run: a class is generated (solutions and blank releases, alternating), then graded
twice, each in its own scratch course and gradebook:

* serial: ``nbgrader autograde ASSIGNMENT --create`` (the nbgrader command, one process,
  one submission after another, no sandbox, no feedback);
* parallel: ``scalingml grade ASSIGNMENT --jobs N`` (sandboxed, with feedback and reports).

It prints both wall times, the ratio, and checks that both gradebooks hold the same scores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scalingml import course, grading, sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests/
from tests.notebook_tools import scratch_copy  # noqa: E402


def make_class(course_root: Path, assignment: str, students: int, folder: Path) -> dict[str, Path]:
    """``students`` submissions alternating between the solution and the blank release."""
    name = f"{assignment}.ipynb"
    variants = [course_root / folder / assignment / name for folder in (course.SOURCE_DIR, course.RELEASE_DIR)]
    made = {}
    for index in range(students):
        target = folder / f"student{index:03d}" / name
        target.parent.mkdir(parents=True)
        shutil.copy2(variants[index % 2], target)
        made[target.parent.name] = target
    return made


def serial_nbgrader(course_root: Path, assignment: str, submissions: Path, workdir: Path) -> float:
    root = scratch_copy([assignment], workdir, course_root)
    shutil.copytree(submissions, root / course.GRADING_DIR / "submitted", dirs_exist_ok=True)
    for student in (root / course.GRADING_DIR / "submitted").iterdir():  # nbgrader's layout: STUDENT/ASSIGNMENT/
        (student / assignment).mkdir()
        for notebook in student.glob("*.ipynb"):
            notebook.rename(student / assignment / notebook.name)
    course.ensure_scripts_on_path()
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*nbgrader, "generate_assignment", assignment, "--force"], cwd=root, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([*nbgrader, "autograde", assignment, "--create"], cwd=root, check=True, capture_output=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="00_welcome")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    course_root = course.root()
    workdir = Path(tempfile.mkdtemp(prefix="scalingml-bench-"))
    try:
        submissions = workdir / "submissions"
        make_class(course_root, args.assignment, args.students, submissions)
        print(
            f"{args.students} submissions of {args.assignment}; {os.cpu_count()} cores; "
            f"isolation: {sandbox.isolation()}",
            flush=True,
        )
        serial = serial_nbgrader(course_root, args.assignment, submissions, workdir / "serial")
        print(f"serial nbgrader autograde: {serial:.1f} s ({serial / args.students:.2f} s per submission)", flush=True)
        root = scratch_copy([args.assignment], workdir / "parallel", course_root)
        api = course.nbgrader_api(root)
        with course.working_directory(root):
            api.generate_assignment(args.assignment, force=True)
        start = time.perf_counter()
        report = grading.grade(args.assignment, submissions, course_root=root, jobs=args.jobs, show_progress=False)
        parallel = time.perf_counter() - start
        print(
            f"scalingml grade --jobs {args.jobs}: {parallel:.1f} s "
            f"({parallel / args.students:.2f} s per submission, feedback and reports included)"
        )
        print(f"ratio: {serial / parallel:.2f}x")
        serial_scores = grading.read_scores(course.nbgrader_api(workdir / "serial"), args.assignment)
        key = ["student", "question"]
        same = (
            serial_scores.sort_values(key)[key + ["score"]]
            .reset_index(drop=True)
            .equals(report.scores.sort_values(key)[key + ["score"]].reset_index(drop=True))
        )
        print(f"same scores in both gradebooks: {same}")
        return 0 if same else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""The ``scalingml`` command: ``doctor``, ``lab``, ``release``, ``check``, ``grade``, ``feedback``, ``dist``,
``solution``, ``profiles``, ``datasets``.

Every failure a learner or instructor can cause (an unknown profile, an unreachable
scheduler, a missing course folder) ends with a one-line message and exit code 2,
not a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from scalingml._imports import skip_slow_optional_imports

skip_slow_optional_imports()  # before anything imports nbformat: 2.8 s off every command

from scalingml import (  # noqa: E402
    __version__,
    course,
    doctor,
    lab,
    sandbox,  # noqa: E402
    scale,
    submissions,
)
from scalingml.command import command  # noqa: E402
from scalingml.errors import ScalingmlError  # noqa: E402

LAB_START_PAGE = "course/00_welcome.ipynb"


def _doctor(args: argparse.Namespace) -> int:
    rows = doctor.checks(probe_cluster=not args.no_probe, timeout=args.timeout)
    print(doctor.format_report(rows))
    return 0 if all(row.ok for row in rows) else 1


def _lab(args: argparse.Namespace) -> int:
    root = course.root()
    scale.active()  # fail early, with the list of profiles, on a bad SCALINGML_SCALE
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}", *args.jupyter_args]
    if not any(a.startswith("--LabApp.default_url") for a in args.jupyter_args):
        command.append(f"--LabApp.default_url=/lab/tree/{LAB_START_PAGE}")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in command:
        # containers often run as root, where Jupyter refuses to start without this flag
        print("Running as root (a container?): passing --allow-root to JupyterLab.", flush=True)
        command.append("--allow-root")
    print(f"Starting JupyterLab on {root} (scale profile: {scale.active_name()})", flush=True)
    return lab.run(command, root)


def _release(args: argparse.Namespace) -> int:
    from scalingml import releasing

    print(releasing.release(args.assignments or None, force=args.force).describe())
    return 0


def _start(args: argparse.Namespace) -> int:
    from scalingml import workspace

    root = course.root()
    notebook, copied = workspace.start(args.assignment, root)
    where = notebook.relative_to(root)
    print(
        f"Copied the exercise to {where}: work there; nothing in the course ever overwrites it."
        if copied
        else f"{where} is already there (your work is kept){'' if args.no_lab else ': opening it'}.",
        flush=True,
    )
    if args.no_lab:
        print(f"Check it with: {command('check', where.as_posix())}")
        return 0
    server = lab.running_server(root)
    if server is not None:  # one JupyterLab per course: open the notebook in the one already running
        url = lab.notebook_url(server, where)
        print(f"JupyterLab is already running on this course (pid {server.get('pid')}): open {url}", flush=True)
        lab.open_in_browser(url, args.jupyter_args)
        return 0
    args.jupyter_args = [*args.jupyter_args, f"--LabApp.default_url=/lab/tree/{where.as_posix()}"]
    return _lab(args)


def _dist(args: argparse.Namespace) -> int:
    from scalingml import distribution

    tree = distribution.build_learner_distribution(args.target)
    print(distribution.usage(tree, zipped=bool(args.zip), branch=args.git_branch))
    if args.zip:
        print(f"Zipped it to {distribution.write_zip(tree, args.zip)}")
    if args.git_branch:
        root = course.root()
        commit, new = distribution.publish_branch(tree, args.git_branch, root)
        print(
            f"Committed it as {commit[:12]} on branch {args.git_branch}"
            if new
            else f"Branch {args.git_branch} already holds it ({commit[:12]}): nothing to commit"
        )
        print(distribution.push_hint(root, args.git_branch))
    return 0


def _solution(args: argparse.Namespace) -> int:
    from scalingml import answers

    text = answers.model_answer(args.assignment, args.question)  # refuses first in a learner distribution
    print(f"{answers.heading(args.question, course.resolve_assignment(args.assignment))}, to compare with yours:")
    print(text)
    return 0


def _profiles(args: argparse.Namespace) -> int:
    active = scale.active_name()  # an unknown SCALINGML_SCALE is an error here too
    for profile in scale.PROFILES.values():
        marker = "*" if profile.name == active else " "
        print(f"{marker} {profile.name:<6} n_rows={profile.n_rows:<8,} {profile.description}")
    return 0


def _datasets(args: argparse.Namespace) -> int:
    from scalingml import datasets  # pandas: imported by the commands that need it, not by --help

    if args.rebuild:
        for path in datasets.rebuild():
            print(f"rebuilt {path}")
        return 0
    for name, dataset in datasets.SHIPPED.items():
        print(f"{name:<14} {datasets.path(name)}  {dataset.summary}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from scalingml import check, hints

    if args.hint is not None:
        hints.level_number(args.hint)  # a level below 1 is refused before the notebook runs
    report = check.check_notebook(args.notebook, _limits(args))
    print(check.format_report(report))
    if args.hint is not None and not report.passed:
        print()
        print(check.format_hints(report, level=args.hint))
    print(check.next_step(report, args.notebook, hinted=args.hint is not None))
    return 0 if report.passed else 1


def _limits(args: argparse.Namespace) -> sandbox.Limits:
    memory_mb = args.memory_mb or sandbox.default_memory_mb(getattr(args, "jobs", 1))
    return sandbox.Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.timeout, memory_mb=memory_mb)


def _grade(args: argparse.Namespace) -> int:
    from scalingml import cluster, grading

    address = args.dask or cluster.scheduler_address()
    if address and not args.dask:
        print(f"Grading on the Dask cluster at {address} (DASK_SCHEDULER_ADDRESS)", flush=True)
    report = grading.grade(
        args.assignment,
        args.submissions,
        jobs=args.jobs,
        dask_address=address,
        limits=_limits(args),
        show_hidden_tests=args.show_hidden_tests,
        db_url=args.db,
        report_dir=args.report_dir,
        named_regexp=args.named_regexp,
        students=args.student,
        regrade=args.regrade,
    )
    print(report.format())
    return 1 if (report.statuses["status"] == grading.FAILED).any() else 0


def _feedback(args: argparse.Namespace) -> int:
    from scalingml.grading import manual_feedback

    done = manual_feedback.regenerate_feedback(
        args.assignment,
        students=args.student,
        show_hidden_tests=args.show_hidden_tests,
        db_url=args.db,
        report_dir=args.report_dir,
        release_feedback=args.release,
    )
    print(done.format())
    return 1 if done.problems else 0


def _add_limits(p: argparse.ArgumentParser) -> None:
    defaults = sandbox.Limits()
    p.add_argument("--cell-timeout", type=int, default=defaults.cell_timeout, help="seconds per cell (%(default)s)")
    p.add_argument("--timeout", type=int, default=defaults.notebook_timeout, help="seconds per notebook (%(default)s)")
    p.add_argument(
        "--memory-mb",
        type=int,
        help=f"memory per kernel in MB (default: {sandbox.MEMORY_SHARE * 100:.0f}%% of the memory available now, split "
        f"between the jobs, from {sandbox.MIN_MEMORY_MB} to {sandbox.MAX_DEFAULT_MEMORY_MB} MB: now "
        f"{sandbox.default_memory_mb(1)} MB for one job)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scalingml", description="The scalingml course: lessons, experiments, grading."
    )
    parser.add_argument("--version", action="version", version=f"scalingml {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("doctor", help="report versions, machine, scale profile, cluster and storage")
    p.add_argument("--no-probe", action="store_true", help="do not contact a remote Dask scheduler or object store")
    p.add_argument(
        "--timeout",
        type=float,
        default=doctor.PROBE_TIMEOUT,
        help="seconds to wait for a remote scheduler (default %(default)s)",
    )
    p.set_defaults(handler=_doctor)

    p = commands.add_parser(
        "lab",
        usage="%(prog)s [-h] [JUPYTER_LAB_ARGUMENT ...]",
        help="launch JupyterLab on the course, opening the welcome lesson "
        "(other arguments go to jupyter lab, e.g. --no-browser)",
        description=f"Start JupyterLab with the course folder as its root and open {LAB_START_PAGE}. "
        "The scale profile comes from SCALINGML_SCALE (see `scalingml profiles`); as root (in a container) "
        "--allow-root is added for you.",
        epilog="Every other argument goes to `jupyter lab` unchanged, for example: --no-browser, "
        "--port 8890, --ip 0.0.0.0, --IdentityProvider.token=SECRET, --LabApp.default_url=/lab/tree/course/"
        "02_model_complexity.ipynb. `jupyter lab --help-all` lists them all.",
    )
    p.set_defaults(handler=_lab)

    p = commands.add_parser("release", help="regenerate exercises/ from solutions/ with nbgrader")
    p.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite exercise notebooks even where they hold a learner's answers or outputs",
    )
    p.set_defaults(handler=_release)

    p = commands.add_parser(
        "start",
        help="copy an exercise to my-work/ (yours: nothing regenerates it) and open it in JupyterLab",
        usage="%(prog)s [-h] [--no-lab] ASSIGNMENT [JUPYTER_LAB_ARGUMENT ...]",
    )
    p.add_argument("assignment", help="the assignment's number or name, e.g. 02 or 02_model_complexity")
    p.add_argument("--no-lab", action="store_true", help="only copy; do not start JupyterLab")
    p.set_defaults(handler=_start)

    p = commands.add_parser("check", help="run a notebook's visible tests in the sandbox; exit 1 if any fails")
    p.add_argument("notebook", help="the assignment notebook to check")
    p.add_argument(
        "--hint",
        nargs="?",
        const=1,
        type=int,
        metavar="LEVEL",
        help="also print a hint for each failing question: level 1 (the default) a nudge, the last level (2 or 3, "
        "the hint says) a near-solution; past a question's last level you get the last",
    )
    _add_limits(p)
    p.set_defaults(handler=_check)

    p = commands.add_parser("grade", help="autograde a class in the sandbox, in parallel; feedback and reports")
    p.add_argument("assignment", help="assignment name (a folder of solutions/)")
    p.add_argument("submissions", help="folder with one sub-folder per student, zip_collect files, or a .zip")
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=os.cpu_count() or 1,
        help="submissions graded at once on this machine (default: the cores, %(default)s)",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="grade on the Dask scheduler at ADDRESS (default: DASK_SCHEDULER_ADDRESS if set)",
    )
    p.add_argument("--db", metavar="URL", help="gradebook database URL (default: grading/gradebook.db)")
    p.add_argument("--show-hidden-tests", action="store_true", help="keep hidden tests in the feedback")
    p.add_argument("--report-dir", help="where the CSV reports go (default: grading/reports/ASSIGNMENT)")
    p.add_argument(
        "--student",
        action="append",
        metavar="ID",
        help="grade only this student (repeatable; shell patterns such as 'a*' work): a late submission or a "
        "regrade request leaves everyone else's files and gradebook rows untouched",
    )
    p.add_argument(
        "--regrade",
        action="store_true",
        help="grade every submission again, also those an earlier (perhaps interrupted) run already finished",
    )
    p.add_argument(
        "--named-regexp",
        default=submissions.DEFAULT_NAMED_REGEXP,
        help="file-name pattern for zip_collect files (groups student_id, file_id, timestamp)",
    )
    _add_limits(p)
    p.set_defaults(handler=_grade)

    p = commands.add_parser(
        "feedback",
        help="after manual grading: feedback (no hidden tests) and reports from the gradebook; --release returns it",
    )
    p.add_argument("assignment", help="assignment name (a folder of solutions/)")
    p.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable; patterns work)")
    p.add_argument(
        "--release",
        action="store_true",
        help="release it through nbgrader's exchange to the learners who submitted there (nbgrader release_feedback)",
    )
    p.add_argument("--db", metavar="URL", help="gradebook database URL (default: grading/gradebook.db)")
    p.add_argument("--show-hidden-tests", action="store_true", help="keep hidden tests in the feedback")
    p.add_argument("--report-dir", help="where the CSV reports go (default: grading/reports/ASSIGNMENT)")
    p.set_defaults(handler=_feedback)

    p = commands.add_parser(
        "dist",
        help="build the learner distribution (lessons, exercises, hints, data, package; no solutions, no hidden tests)",
        description="Write the learner distribution for a graded class into TARGET (new or empty): what a learner "
        "installs with `pip install TARGET` and runs `scalingml lab` in. Deterministic: the same course gives the "
        "same bytes.",
    )
    p.add_argument(
        "target",
        help="a new or empty folder, or one holding an earlier build (replaced), e.g. dist/learner (git-ignored)",
    )
    p.add_argument("--zip", metavar="FILE", help="also write it as a zip (sorted entries, fixed timestamps)")
    p.add_argument(
        "--git-branch",
        metavar="BRANCH",
        help="also commit it as the whole of BRANCH (e.g. learner) of this repository, for Binder; "
        "no new commit when nothing changed",
    )
    p.set_defaults(handler=_dist)

    p = commands.add_parser(
        "solution",
        help="self-study: print a question's model answer (only in a clone of the course repository)",
    )
    p.add_argument("assignment", help="the assignment's number or name, e.g. 02")
    p.add_argument("question", help="the question, e.g. q3")
    p.set_defaults(handler=_solution)

    p = commands.add_parser("profiles", help="list the scale profiles (* marks the active one)")
    p.set_defaults(handler=_profiles)

    p = commands.add_parser("datasets", help="list the shipped datasets, or rebuild them from their recipes")
    p.add_argument("--rebuild", action="store_true", help="regenerate the shipped files from their recipes")
    p.set_defaults(handler=_datasets)

    from scalingml.workshop import commands as workshop_commands

    workshop_commands.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``scalingml`` console script."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command not in ("lab", "start"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.jupyter_args = extra
    try:
        return args.handler(args)
    except ScalingmlError as exc:
        print(f"scalingml {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

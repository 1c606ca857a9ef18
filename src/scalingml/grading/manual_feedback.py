"""``scalingml feedback``: the step after manual grading, feedback and reports from the gradebook as it is now.

No student code runs. :func:`regenerate_feedback` rewrites the HTML feedback (without hidden tests, by
:mod:`scalingml.grading.feedback`'s preprocessor), the CSV reports and nbgrader's export, and with
``release_feedback`` returns it through nbgrader's exchange to the learners who submitted through it.
"""

from __future__ import annotations

import fnmatch
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from scalingml.grading.feedback import EXCHANGE_FILES, generate, graded_students, preprocessors
from scalingml.grading.status import GradingError


def outside_exchange(feedback_dir: Path, assignment: str, students: list[str]) -> list[str]:
    """Students whose submission did not come through nbgrader's exchange: ``release_feedback`` cannot return theirs."""
    return [s for s in students if not all((feedback_dir / s / assignment / f).is_file() for f in EXCHANGE_FILES)]


def release(api, assignment: str, students: list[str]) -> None:
    """nbgrader's ``release_feedback``, one student at a time, for students who submitted through the exchange."""
    for student in students:
        result = api.release_feedback(assignment, student)
        if not result["success"]:
            lines = (result.get("log") or result.get("error") or "").strip().splitlines()
            raise GradingError(
                f"nbgrader release_feedback failed for {student}: {lines[-1] if lines else 'no reason given'} "
                "(check Exchange.root and CourseDirectory.course_id in nbgrader_config.py)"
            )


@dataclass
class FeedbackRun:
    """What :func:`regenerate_feedback` did, for the console."""

    assignment: str
    students: list[str]
    feedback_dir: Path
    report_dir: Path
    problems: dict[str, str] = field(default_factory=dict)
    outside: list[str] = field(default_factory=list)  # submitted outside the exchange
    released: list[str] | None = None  # None: not asked to release
    export: Path | None = None

    def format(self) -> str:
        from scalingml.grading.report import counted

        lines = [f"feedback for {counted(len(self.students) - len(self.problems), 'student')}: {self.feedback_dir}"]
        lines += [f"no feedback for {student}: {why}" for student, why in self.problems.items()]
        lines.append(f"reports: {self.report_dir}")
        if self.export:
            lines.append(f"nbgrader export refreshed: {self.export}")
        if self.released is not None:
            lines.append(f"released through nbgrader's exchange: {', '.join(self.released) or 'nobody'}")
        elif len(self.outside) < len(self.students):
            lines.append(f"return it to exchange submissions: scalingml feedback {self.assignment} --release")
        if self.outside:
            lines.append(
                f"submitted outside nbgrader's exchange ({', '.join(self.outside)}): send each "
                f"{self.feedback_dir}/STUDENT/{self.assignment}/ folder through your platform"
            )
        return "\n".join(lines)


def regenerate_feedback(
    assignment: str,
    *,
    course_root: Path | None = None,
    students: list[str] | None = None,
    show_hidden_tests: bool = False,
    db_url: str | None = None,
    report_dir: Path | None = None,
    release_feedback: bool = False,
) -> FeedbackRun:
    """Feedback and reports from the gradebook as it is now (after manual grading); no student code runs.

    ``students`` (ids or shell patterns) limits it to those. With ``release_feedback``, the
    feedback of students who submitted through nbgrader's exchange is released there.
    """
    from scalingml import course, sandbox
    from scalingml.grading import nbgrader_steps, report

    course_root = Path(course_root or course.root()).resolve()
    assignment = course.require_assignments([assignment], course_root)[0]  # a number names it too
    settings: dict[str, object] = {"GenerateFeedback.preprocessors": preprocessors(show_hidden_tests)}
    if db_url:
        settings["CourseDirectory.db_url"] = db_url
    api = course.nbgrader_api(course_root, **settings)
    graded = graded_students(api, assignment)
    chosen = select(graded, students, assignment)
    root = Path(api.coursedir.root)
    feedback_dir = root / api.coursedir.feedback_directory
    autograded_dir = root / api.coursedir.autograded_directory
    report_dir = Path(report_dir or root / course.GRADING_DIR / "reports" / assignment)
    with course.working_directory(course_root), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not in session.*")
        problems = generate(api, assignment, chosen)
        scores = nbgrader_steps.read_scores(api, assignment)
        report.build_report([], scores, report_dir, feedback_dir, autograded_dir, assignment, 0.0, sandbox.Limits())
        export = nbgrader_steps.refresh_export(api)
        written = [s for s in chosen if s not in problems]
        outside = outside_exchange(feedback_dir, assignment, written)
        released = None
        if release_feedback:
            released = [s for s in written if s not in outside]
            release(api, assignment, released)
    return FeedbackRun(assignment, chosen, feedback_dir, report_dir, problems, outside, released, export)


def select(graded: list[str], patterns: list[str] | None, assignment: str) -> list[str]:
    """The graded students matching ``patterns`` (all when there are none); an unmatched pattern is refused."""
    if not graded:
        raise GradingError(f"No autograded submissions of {assignment}: run `scalingml grade {assignment} ...` first")
    if not patterns:
        return graded
    unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(s, p) for s in graded)]
    if unmatched:
        raise GradingError(
            f"No autograded submission for --student {', '.join(unmatched)}; graded: {', '.join(graded[:20])}"
        )
    return [s for s in graded if any(fnmatch.fnmatchcase(s, p) for p in patterns)]

"""The grade table `scalingml grade` prints: readable reasons and honest wording (no grading run needed)."""

from pathlib import Path

import nbformat
import pandas as pd
import pytest

from scalingml import sandbox
from scalingml.grading import report


def a_report(reasons, awaiting):
    statuses = pd.DataFrame(
        {
            "student": ["al", "bartholomew"],
            "status": ["graded", "flagged"],
            "score": [3.0, 12.5],
            "max_score": [3.0, 13.0],
            "seconds": [1.2, 10.0],
            "reasons": reasons,
            "recorded_at": ["2026-12-03T09:00:00Z"] * 2,
        }
    )
    grades = statuses[["student", "score", "max_score"]].assign(points_awaiting_manual_grading=awaiting)
    return report.GradingReport(
        statuses, grades, pd.DataFrame(), pd.DataFrame(), "limits only", Path("r"), Path("f"), 12.0, sandbox.Limits()
    )


def test_reasons_are_left_aligned_in_the_last_column_and_cut_with_a_note():
    long = "00_welcome.ipynb: edited read-only cells, restored: q1_tests; " * 3
    text = a_report(["", long], [0.0, 1.0]).format()
    header, first, second = text.splitlines()[:3]
    column = header.index("reasons")
    assert header.rstrip().endswith("reasons") and second[column:].startswith("00_welcome.ipynb: edited")
    assert first.rstrip() == first[:column].rstrip(), "an empty reason leaves nothing after the numbers"
    assert len(second) <= column + report.GradingReport.REASON_WIDTH and second.endswith("…")
    assert "statuses.csv has every reason in full" in text


def test_one_point_is_one_point():
    assert "1 point awaits manual grading" in a_report(["", ""], [0.0, 1.0]).format()
    assert "2.5 points await manual grading" in a_report(["", ""], [1.5, 1.0]).format()
    assert report.counted(1, "point") == "1 point" and report.counted(0.5, "point") == "0.5 points"
    assert "2 submissions in 12 s" in a_report(["", ""], [0.0, 0.0]).format()


def test_an_unreadable_statuses_file_is_kept_aside_not_lost(tmp_path):
    (tmp_path / "statuses.csv").write_bytes(b"\xff\xfe\x00broken")
    run = a_report(["", ""], [0.0, 0.0]).statuses
    totals = run.set_index("student")[["score", "max_score"]]
    with pytest.warns(UserWarning, match="could not be read"):
        merged = report.class_statuses(run, tmp_path, totals)
    assert merged["student"].tolist() == ["al", "bartholomew"]
    assert [p.name.startswith("statuses-unreadable-") for p in tmp_path.iterdir()] == [True]


def test_earlier_students_keep_their_rows_and_take_the_gradebooks_scores(tmp_path):
    earlier = a_report(["", "00_welcome.ipynb: not valid notebook JSON"], [0.0, 0.0]).statuses
    earlier.to_csv(tmp_path / "statuses.csv", index=False)
    run = earlier.iloc[:1].assign(status="flagged", reasons="again", recorded_at="2026-12-04T08:00:00Z")
    totals = pd.DataFrame({"score": [3.0, 13.0], "max_score": [3.0, 13.0]}, index=["al", "bartholomew"])
    merged = report.class_statuses(run, tmp_path, totals).set_index("student")
    assert merged.loc["al", "status"] == "flagged" and merged.loc["al", "reasons"] == "again"
    kept = merged.loc["bartholomew"]
    assert kept["reasons"] == "00_welcome.ipynb: not valid notebook JSON" and kept["score"] == 13.0
    assert kept["recorded_at"] == "2026-12-03T09:00:00Z"


def test_question_figures_leave_out_submissions_none_of_whose_code_ran(tmp_path):
    """A rejected notebook scores 0 on every question, but it says nothing about how clear a question was."""
    executed = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": {"grade": True, "grade_id": "q1_tests"}}),
            nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade": True, "grade_id": "q2_tests"}}),
        ]
    )
    executed.cells[1].outputs = [nbformat.v4.new_output("error", ename="NotImplementedError", evalue="", traceback=[])]
    for student in ("alice", "bob"):
        (tmp_path / student / "00_welcome").mkdir(parents=True)
        nbformat.write(executed, tmp_path / student / "00_welcome" / "00_welcome.ipynb")
    rows = [
        (student, question, score)
        for student, q1, q2 in (("alice", 1.0, 0.0), ("bob", 1.0, 0.0), ("carol", 0.0, 0.0))
        for question, score in (("q1_tests", q1), ("q2_tests", q2))
    ]
    scores = pd.DataFrame(
        [{"student": s, "notebook": "00_welcome", "question": q, "score": v, "max_score": 1.0, "autograded": True}
         for s, q, v in rows]
    )  # fmt: skip
    statuses = pd.DataFrame({"student": ["alice", "bob", "carol"], "status": ["graded", "graded", "rejected"]})
    figures = report.question_figures(scores, statuses, tmp_path, "00_welcome").set_index("question")
    assert list(figures.columns) == report.QUESTION_COLUMNS[:1] + report.QUESTION_COLUMNS[2:]
    assert figures.loc["q1_tests", "students"] == 2 and figures.loc["q1_tests", "mean_score"] == 1.0
    assert figures.loc["q1_tests", "errored_share"] == 0.0, "carol's never-run notebook is not an error of q1"
    assert figures.loc["q2_tests", "errored_share"] == 1.0
    everyone = report.question_figures(scores, statuses.assign(status="graded"), tmp_path, "00_welcome")
    assert everyone.set_index("question").loc["q1_tests", "students"] == 3

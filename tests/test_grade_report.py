"""The grade table `scalingml grade` prints: readable reasons and honest wording (no grading run needed)."""

from pathlib import Path

import pandas as pd

from scalingml.grading import report, sandbox


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
    assert report.points(1) == "1 point" and report.points(0.5) == "0.5 points"

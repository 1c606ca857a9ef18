"""docs/instructor.md covers every assignment and the steps that avoid nbgrader's traps."""

import re

import pytest

from tests.notebook_tools import REPO, assignment_names

GUIDE = (REPO / "docs" / "instructor.md").read_text()


def section(title_start):
    match = re.search(rf"^## {re.escape(title_start)}.*?(?=^## |\Z)", GUIDE, flags=re.M | re.S)
    assert match, f"no section starting '## {title_start}'"
    return match.group(0)


@pytest.mark.parametrize("name", assignment_names())
def test_every_assignment_has_a_section(name):
    assert f"`exercises/{name}`" in GUIDE or f"## Assignment {name[:2]}" in GUIDE
    section(f"Assignment {name[:2]}")


def test_feedback_after_manual_grading_and_its_return_are_the_guides_steps():
    feedback = section("5. Feedback")
    assert "scalingml feedback" in feedback and "--release" in feedback
    assert "Generate Feedback" in feedback and "timestamp.txt" in feedback


def test_the_jupyterhub_setup_names_what_it_needs():
    distribute = section("2. Distribute")
    for needed in ("Exchange.root", "course_id", "pip install", "formgrader", "create-assignment"):
        assert needed in distribute, needed

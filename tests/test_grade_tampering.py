"""Four classes of kernel tampering earn no undeserved points; they are flagged with the reason.

(a) patching or rebinding the helpers tests compare with; (b) objects whose ``__eq__`` always
answers True; (c) input or AST transformers that strip the asserts of later cells; (d) custom
exception handlers (or a silenced traceback) that swallow later failures. A tiny assignment
keeps each case to a second of execution; the course's own assignments are graded in
test_grading.py with the same guard in place.
"""

import nbformat
import pytest

from scalingml import grading, releasing
from tests.notebook_tools import REPO

NAME = "99_guard"
pytestmark = pytest.mark.slow

SOLUTION_CELLS = [
    ("setup", "code", "import math\nimport numpy as np", {"locked": True}),
    ("q1_answer", "code", "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", {"solution": True}),
    ("q1_tests", "code", 'assert answer == 42, "the answer is 42"', {"grade": True, "points": 1, "locked": True}),
    ("q2_answer", "code", "def area(r):\n    ### BEGIN SOLUTION\n    return math.pi * r * r\n    ### END SOLUTION",
     {"solution": True}),
    ("q2_tests", "code", "assert math.isclose(area(1.0), math.pi)\nassert np.allclose([area(2.0)], [4 * math.pi])",
     {"grade": True, "points": 1, "locked": True}),
    ("q3_answer", "code",
     "def words(text):\n    ### BEGIN SOLUTION\n    return sorted(set(text.split()))\n    ### END SOLUTION",
     {"solution": True}),
    ("q3_tests", "code", 'assert words("b a b") == ["a", "b"]\nassert len(words("")) == 0',
     {"grade": True, "points": 1, "locked": True}),
]  # fmt: skip

WRONG = {"q1_answer": "answer = 41", "q2_answer": "def area(r):\n    return 0.0",
         "q3_answer": "def words(text):\n    return ['nope']"}  # fmt: skip

#: student -> (code appended to the wrong first answer, what the flag reason must mention)
ATTACKS = {
    "patches-helpers": ("math.isclose = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True\n", "math.isclose"),
    "rebinds-math": (
        "import types\nmath = types.SimpleNamespace(isclose=lambda *a, **k: True, pi=3.14159)\n",
        "'math' was rebound",
    ),
    "always-equal": (
        "class Yes(float):\n    def __eq__(self, other):\n        return True\n    __hash__ = float.__hash__\n"
        "answer = Yes(41)\n",
        "compared an object written in the notebook",
    ),
    "strips-asserts-input": (
        "get_ipython().input_transformers_cleanup.append(\n"
        "    lambda lines: [line for line in lines if not line.lstrip().startswith('assert')])\n",
        "input_transformers_cleanup",
    ),
    "strips-asserts-ast": (
        "import ast\nclass Strip(ast.NodeTransformer):\n    def visit_Assert(self, node):\n        return ast.Pass()\n"
        "get_ipython().ast_transformers.append(Strip())\n",
        "ast_transformers",
    ),
    "swallows-errors": ("get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n", "set_custom_exc"),
    "hides-tracebacks": ("get_ipython().showtraceback = lambda *a, **k: None\n", "showtraceback"),
}


def notebook(answers: dict[str, str] | None = None, attack: str = "") -> nbformat.NotebookNode:
    """The assignment's notebook; ``answers`` replace answer cells, ``attack`` is appended to the first one."""
    cells = []
    for grade_id, _kind, source, flags in SOLUTION_CELLS:
        meta = {"grade": False, "solution": False, "locked": False, "schema_version": 3, "grade_id": grade_id, **flags}
        if answers and grade_id in answers:
            source = answers[grade_id] + ("\n" + attack if grade_id == "q1_answer" else "")
        cells.append(nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta}))
    return nbformat.v4.new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tampering")
    root = tmp / "course"
    releasing.copy_sources([], root, REPO)
    (root / "solutions" / NAME).mkdir(parents=True)
    nbformat.write(notebook(), root / "solutions" / NAME / f"{NAME}.ipynb")
    students = {"good": notebook(), "wrong": notebook(WRONG)}
    students |= {name: notebook(WRONG, attack=code) for name, (code, _) in ATTACKS.items()}
    for student, nb in students.items():
        (tmp / "subs" / student).mkdir(parents=True)
        nbformat.write(nb, tmp / "subs" / student / f"{NAME}.ipynb")
    report = grading.grade(NAME, tmp / "subs", course_root=root, jobs=2, show_progress=False)
    return report.scores.groupby("student")["score"].sum(), report.statuses.set_index("student")


def test_the_honest_submissions_get_what_they_earned(graded):
    scores, statuses = graded
    assert scores["good"] == 3 and scores["wrong"] == 0
    assert statuses.loc["good", "status"] == statuses.loc["wrong", "status"] == grading.GRADED


@pytest.mark.parametrize("student", list(ATTACKS))
def test_tampering_earns_nothing_and_is_flagged(graded, student):
    scores, statuses = graded
    assert scores[student] == 0, f"{student} earned points with wrong answers"
    assert statuses.loc[student, "status"] == grading.FLAGGED
    assert ATTACKS[student][1] in statuses.loc[student, "reasons"], statuses.loc[student, "reasons"]

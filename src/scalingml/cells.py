"""What a notebook cell is, for grading and checking: one definition each.

>>> import nbformat
>>> test = nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": {"grade": True, "solution": False}})
>>> is_autograded_test(test), is_autograded_test(nbformat.v4.new_code_cell("x = 1"))
(True, False)
>>> test.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="no", traceback=[])]
>>> first_error(test)["ename"]
'AssertionError'
>>> answer = nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": "q2_answer", "solution": True}})
>>> notebook = nbformat.v4.new_notebook(cells=[answer, nbformat.v4.new_code_cell("y = x")])
>>> label(notebook, 0), label(notebook, 1)
('answer cell q2_answer (question 2)', 'cell 2 (below q2_answer)')
"""

from __future__ import annotations

import re

#: nbgrader's markers in a source notebook (``solutions/``) around a model answer and a block of hidden tests.
#: The release removes both; the learner distribution refuses a notebook holding any (the only place they are spelt).
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MARKERS = (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)


def nbgrader_metadata(cell) -> dict:
    """The cell's ``nbgrader`` metadata (empty for a cell nbgrader does not manage)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def is_autograded_test(cell) -> bool:
    """A code cell with points that is not an answer: nbgrader runs it and scores it by whether it errors."""
    meta = nbgrader_metadata(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def first_error(cell) -> dict | None:
    """The first ``error`` output of a cell, or None: nbgrader fails a test cell exactly when it has one."""
    return next((output for output in cell.get("outputs", []) if output.get("output_type") == "error"), None)


def label(notebook, index: int) -> str:
    """A cell as a learner finds it: its nbgrader id and question, else its position (from 1) below the last id."""
    grade_id = nbgrader_metadata(notebook.cells[index]).get("grade_id")
    if grade_id:
        kind = {"answer": "answer cell ", "tests": "test cell "}.get(grade_id.rsplit("_", 1)[-1], "cell ")
        question = re.fullmatch(r"q(\d+)_\w+", grade_id)
        return f"{kind}{grade_id}" + (f" (question {question.group(1)})" if question else "")
    above = next(
        (found for cell in reversed(notebook.cells[:index]) if (found := nbgrader_metadata(cell).get("grade_id"))),
        None,
    )
    return f"cell {index + 1}" + (f" (below {above})" if above else "")

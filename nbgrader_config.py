"""nbgrader configuration for the scalingml course.

Source assignments (with solutions and hidden tests) live in solutions/; the
student release is generated into exercises/ (`scalingml release`). Everything
nbgrader writes while grading (submissions, autograded copies, feedback and the
sqlite gradebook) stays under the git-ignored grading/ folder.
"""

import os

from scalingml.grading.feedback import preprocessors as feedback_preprocessors
from scalingml.sandbox import CELL_TIMEOUT

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

here = os.path.dirname(os.path.abspath(__file__))
grading = os.path.join(here, "grading")
os.makedirs(grading, exist_ok=True)

c.CourseDirectory.course_id = "scalingml"
c.CourseDirectory.root = here
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = os.path.join("grading", "submitted")
c.CourseDirectory.autograded_directory = os.path.join("grading", "autograded")
c.CourseDirectory.feedback_directory = os.path.join("grading", "feedback")
c.CourseDirectory.solution_directory = os.path.join("grading", "solution")
c.CourseDirectory.source_with_tests_directory = os.path.join("grading", "source_with_tests")
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(grading, "gradebook.db")
# `nbgrader export` writes its CSV here, not into the repository root
c.CsvExportPlugin.to = os.path.join(grading, "grades.csv")

# Feedback never shows hidden tests, whoever generates it: `scalingml grade`/`feedback`,
# `nbgrader generate_feedback` or formgrader's "Generate Feedback" button (`scalingml grade
# --show-hidden-tests` keeps them for one run).
c.GenerateFeedback.preprocessors = feedback_preprocessors()

# Graded cells are sized for the `ci` scale profile (chosen automatically while
# NBGRADER_EXECUTION is set), so 30 s per cell is generous; a runaway cell is cut.
c.Execute.timeout = CELL_TIMEOUT
c.Execute.interrupt_on_timeout = True

"""scalingml: a Jupyter course on the challenges of scaling machine-learning models.

Modules (``tests/test_package_docs.py`` checks that every module and subpackage is listed here):
    errors        ``ScalingmlError``, the base of every error a learner or instructor can act on
    scale         the scale profiles (``SCALINGML_SCALE`` = ci | small | large)
    scratch       temporary folders for experiments that write files, removed when done
    measure       wall time, peak memory, power-law fits, as tidy frames
    plots         plot helpers for those frames
    progress      progress bars for the experiment loops (``SCALINGML_PROGRESS=0`` silences them)
    datasets      seeded synthetic tables, partitioned storage, shipped datasets
    experiments   the lessons' scale experiments and the ``conclude_*`` functions that word their verdicts
    quickcheck    the ungraded quick checks closing each section of a lesson
    lessons       the lesson registry: each lesson's number, slug, title, challenges and files, said once
    cluster       a Dask client: embedded LocalCluster or ``DASK_SCHEDULER_ADDRESS``
    storage       where data goes (``SCALINGML_STORAGE``: a folder or an fsspec URL), the embedded S3 store (moto),
                  request counting and safe publishing (a package)
    doctor        the environment report behind ``scalingml doctor``
    course        where the course lives: its root, assignments, lessons, and nbgrader's API on it
    releasing     ``scalingml release``: exercises regenerated from solutions, never over a learner's work
    workspace     ``scalingml start``: a learner's own copy in ``my-work/``, never overwritten
    lab           ``scalingml lab``: JupyterLab as a child process, and the one already running on the course
    command       how to spell the ``scalingml`` command in a message (``.venv/bin/scalingml`` off PATH)
    distribution  ``scalingml dist``: the learner distribution (no solution, no hidden test)
    answers       ``scalingml solution``: a model answer for self-study, only from a clone of the course
    hints         tiered hints for the graded questions (``scalingml check --hint``, ``hint("q1")``)
    assignment_id which assignment a notebook is, from its own read-only cells
    submissions   collecting a class's submissions (folders, zip_collect names, zips)
    cells         what an autograded test cell and an error output are (one definition each)
    sandbox       where learners' code runs, for check and grade alike: limits, bubblewrap, the runner process,
                  the kernel guard (a package)
    grading       ``scalingml grade`` and ``scalingml feedback``: parallel autograding in the sandbox into nbgrader's
                  gradebook (a package: run, pool, nbgrader steps, reports, feedback)
    check         ``scalingml check``: a learner runs one notebook's visible tests in the sandbox
    workshop      ``scalingml workshop``: a JupyterHub server for a class, an account per learner (a package)
    cli           the ``scalingml`` command (``__main__`` runs it)
"""

__version__ = "0.1.0"

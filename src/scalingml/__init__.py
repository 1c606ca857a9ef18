"""scalingml: a Jupyter course on the challenges of scaling machine-learning models.

Modules:
    errors    ``ScalingmlError``, the base of every error a learner or instructor can act on
    scale     the scale profiles (``SCALINGML_SCALE`` = ci | small | large)
    scratch   temporary folders for experiments that write files, removed when done
    measure   wall time, peak memory, power-law fits, as tidy frames
    plots     plot helpers for those frames
    datasets  seeded synthetic tables, partitioned storage, shipped datasets
    cluster   a Dask client: embedded LocalCluster or ``DASK_SCHEDULER_ADDRESS``
    doctor    the environment report behind ``scalingml doctor``
    course    course paths and releasing exercises with nbgrader
    submissions  collecting a class's submissions (folders, zip_collect names, zips)
    cells     what an autograded test cell and an error output are (one definition each)
    grading   ``scalingml grade``: parallel, sandboxed autograding into nbgrader's gradebook (a package:
              run, pool, nbgrader steps, reports; and the sandbox: limits, bubblewrap, the runner
              process, the kernel guard)
    check     ``scalingml check``: a learner runs one notebook's visible tests in the sandbox
"""

__version__ = "0.1.0"

"""One base class for every error a learner or an instructor can cause and act on.

Every domain error of the package (an unknown scale profile, a missing dataset, an
unreachable cluster, a bad submission, a bad price table, ...) inherits
:class:`ScalingmlError`, usually together with the built-in type it refines (so
``except ValueError`` keeps working). The ``scalingml`` command turns exactly these
into a one-line message and exit code 2; any other exception is a bug and keeps
its traceback.

>>> class BadInput(ScalingmlError, ValueError):
...     pass
>>> isinstance(BadInput("x"), ValueError), issubclass(BadInput, ScalingmlError)
(True, True)
"""


class ScalingmlError(Exception):
    """An error with a message that says what to fix; the CLI prints it without a traceback."""


class InvalidParameterError(ScalingmlError, ValueError):
    """An argument outside what the function accepts (a rate above 1, a negative size); the message says which."""

"""Build hook: on a Python older than the course supports, fail first with that reason.

pip resolves a local project's dependencies before it checks ``requires-python``, so on
Python 3.10 the first error used to be "No matching distribution found for pandas>=3.0".
hatchling runs this metadata hook (which also sets the classifiers: a hook runs only
for a dynamic field) while pip prepares the metadata, before any dependency is looked
up, on the interpreter the course is being installed for.
"""

import sys

from hatchling.metadata.plugin.interface import MetadataHookInterface

MINIMUM_PYTHON = (3, 11)
TESTED_MINORS = (11, 12, 13)
CLASSIFIERS = [
    "Framework :: Jupyter",
    "Intended Audience :: Education",
    "Programming Language :: Python :: 3",
    *(f"Programming Language :: Python :: 3.{minor}" for minor in TESTED_MINORS),
    "Topic :: Scientific/Engineering :: Artificial Intelligence",
]


def refuse_old_python(version: tuple = tuple(sys.version_info)) -> None:
    """Raise, saying what to do, when ``version`` is older than :data:`MINIMUM_PYTHON`."""
    if tuple(version) < MINIMUM_PYTHON:
        found = ".".join(map(str, version[:3]))
        needed = ".".join(map(str, MINIMUM_PYTHON))
        raise RuntimeError(
            f"scalingml needs Python >= {needed}; this is Python {found} ({sys.executable}). "
            f"Create the virtual environment with a newer Python, e.g. `python{needed} -m venv .venv`."
        )


class CustomMetadataHook(MetadataHookInterface):
    def update(self, metadata: dict) -> None:
        refuse_old_python()
        metadata["classifiers"] = CLASSIFIERS

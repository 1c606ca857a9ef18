"""Safe updates: persist a model with skops, record the library versions, refuse what you did not expect.

``pickle`` (and joblib, which uses it) can run *any* code while loading: a file is a
program. :func:`pickle_runs_code` shows it harmlessly (the "payload" only appends to a
list). skops stores models as data, and before loading it lists the types the file
would create that are not on its safe list; :func:`load_model` refuses any type outside
an explicit allowlist, with a message naming it.

>>> events = pickle_runs_code()
>>> events
['code ran while loading a pickle']
"""

from __future__ import annotations

import pickle
import platform
import zipfile
from importlib import metadata
from pathlib import Path

from scalingml.errors import ScalingmlError

#: Types a scikit-learn HistGradientBoosting model needs beyond skops's defaults, vetted by hand.
TRUSTED_TYPES = ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",)
#: Libraries whose versions are recorded with every saved model.
RECORDED_LIBRARIES = ("scikit-learn", "numpy", "scipy", "pandas", "skops")


class ModelFileError(ScalingmlError, ValueError):
    """A model file is missing, not a skops file, or not one written by :func:`save_model`."""


class UntrustedModelError(ScalingmlError, ValueError):
    """A model file would create types outside the allowlist: it may come from an unknown source."""


def library_versions() -> dict[str, str]:
    """Python and the :data:`RECORDED_LIBRARIES` versions installed now."""
    versions = {"python": platform.python_version()}
    for name in RECORDED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def save_model(model, path: str | Path, **metadata_fields) -> Path:
    """Write ``model`` with skops, together with the library versions and any ``metadata_fields``."""
    import skops.io as sio

    path = Path(path)
    sio.dump({"model": model, "versions": library_versions(), "metadata": dict(metadata_fields)}, path)
    return path


def untrusted_types(path: str | Path) -> list[str]:
    """Types in the file that skops does not trust by default (loading nothing)."""
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"No model file at {path}.")
    try:
        return list(sio.get_untrusted_types(file=path))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ModelFileError(
            f"{path} is not a skops model file ({type(error).__name__}): ask its author for a file written by "
            "save_model, and never load a pickle from an unknown source."
        ) from None


def load_model(path: str | Path, *, trusted=TRUSTED_TYPES) -> tuple[object, dict[str, str], list[str]]:
    """Load a file written by :func:`save_model`: ``(model, recorded_versions, version_mismatches)``.

    Raises :class:`UntrustedModelError` (naming the types) when the file would create
    anything outside skops's defaults and ``trusted``, and :class:`ModelFileError` for a
    file that is not a skops file or lacks the recorded versions. Mismatches between the
    recorded and the installed versions are returned, not raised: a newer scikit-learn may
    load an old model and predict differently, so the caller decides.
    """
    import skops.io as sio

    unknown = sorted(set(untrusted_types(path)) - set(trusted))
    if unknown:
        raise UntrustedModelError(
            f"{path} would create types that are not on the allowlist: {', '.join(unknown)}. "
            "Do not load it unless you know where it comes from and have read what these types do; "
            "then pass them in trusted=."
        )
    bundle = sio.load(path, trusted=list(trusted))
    if not isinstance(bundle, dict) or "model" not in bundle or "versions" not in bundle:
        raise ModelFileError(f"{path} is a skops file but not one written by save_model (no recorded versions).")
    installed = library_versions()
    mismatches = [
        f"{name}: saved with {saved}, installed {installed.get(name, 'not installed')}"
        for name, saved in bundle["versions"].items()
        if installed.get(name) != saved
    ]
    return bundle["model"], bundle["versions"], mismatches


# --------------------------------------------------------------------------------------------
# Why not pickle: a harmless demonstration

#: What the "payload" below did; a real attacker would run a shell command instead.
LOAD_EVENTS: list[str] = []


def _record_event(message: str) -> None:
    LOAD_EVENTS.append(message)


class RunsCodeOnLoad:
    """An object whose pickle calls a function when loaded (``__reduce__`` says what to call)."""

    def __reduce__(self):
        return (_record_event, ("code ran while loading a pickle",))


def pickle_runs_code() -> list[str]:
    """Pickle a :class:`RunsCodeOnLoad`, load the bytes, and return what ran during the load."""
    LOAD_EVENTS.clear()
    payload = pickle.dumps(RunsCodeOnLoad())
    pickle.loads(payload)  # noqa: S301 - the point of the demonstration
    return list(LOAD_EVENTS)


def skops_refusal(path: str | Path) -> str:
    """Write a :class:`RunsCodeOnLoad` with skops to ``path`` and return the message skops gives on load."""
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    sio.dump(RunsCodeOnLoad(), path)
    LOAD_EVENTS.clear()
    try:
        sio.load(path)
    except UntrustedTypesFoundException as error:
        return str(error)
    return "skops loaded the file without complaint"

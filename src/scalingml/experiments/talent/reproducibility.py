"""Work that survives turnover: reproducible runs, an experiment log, a model card.

A successor can only take over a result they can re-create. A run here is described by a **record**: the recipe
of its data (generator and arguments) with the data's SHA-256, the estimator's class with *all* its parameters,
the split settings, the seed, a SHA-256 of the training code's source, the library versions it ran with
(:mod:`importlib.metadata`) and the metrics it reported. :func:`log_run` appends records to a JSON-lines file
(one JSON object per line: append-only, diff-friendly, readable without any tracking server); :func:`recreate`
re-runs a record with the installed training code, after checking that the code is the one the record names.
The record is not a program: it re-creates the metric *together with* that code (here, this package).

>>> record = run_experiment({"n_rows": 300, "seed": 0}, {"n_estimators": 5}, seed=1)[1]
>>> sorted(record)
['code', 'data', 'environment', 'estimator', 'metrics', 'params', 'run_id', 'seed', 'split', 'time_utc']
>>> recreate(record)["accuracy"] == record["metrics"]["accuracy"]
True
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import inspect
import json
import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

from scalingml.datasets import make_customers
from scalingml.errors import ScalingmlError
from scalingml.experiments.features import customer_features
from scalingml.progress import progress

#: Packages whose versions decide the numbers of this experiment.
ENVIRONMENT_PACKAGES = ("scikit-learn", "numpy", "pandas", "scipy", "scalingml")
METRIC = "accuracy"


class ReproducibilityError(ScalingmlError, ValueError):
    """A record or log that cannot be re-created as it stands (the message says what differs)."""


def capture_environment(packages: Sequence[str] = ENVIRONMENT_PACKAGES) -> dict:
    """Python version, platform and the installed version of each package (``None`` when not installed)."""
    versions: dict[str, str | None] = {}
    for name in packages:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {"python": platform.python_version(), "platform": platform.platform(terse=True), "packages": versions}


def data_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 of the frame's CSV text (column names, values and row order; not the index).

    >>> data_fingerprint(pd.DataFrame({"a": [1, 2]}))[:12]
    'd4fa155a0784'
    """
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()


def make_data(recipe: Mapping) -> pd.DataFrame:
    """The customer table a recipe describes: ``make_customers(**recipe)`` (e.g. ``{"n_rows": 2000, "seed": 0}``)."""
    try:
        return make_customers(**recipe)
    except TypeError as error:
        raise ReproducibilityError(f"the data recipe {dict(recipe)} does not fit make_customers: {error}") from None


#: How :func:`train_and_score` holds out rows (logged with each run).
SPLIT = {"test_size": 0.25, "stratify": "label", "features": "scalingml.experiments.features.customer_features"}


def train_and_score(frame: pd.DataFrame, params: Mapping, seed: int | None) -> tuple[float, RandomForestClassifier]:
    """Split, fit a random forest, score on the held-out quarter. ``seed=None`` leaves both randomnesses unpinned.

    The seed must reach *both* random steps: the split and the estimator. Pinning one leaves the other free.
    """
    X, y = customer_features(frame)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=SPLIT["test_size"], stratify=y, random_state=seed
    )
    model = RandomForestClassifier(**params, random_state=seed, n_jobs=1).fit(X_train, y_train)
    return float(accuracy_score(y_test, model.predict(X_test))), model


def code_fingerprint() -> str:
    """SHA-256 of the source of the training code a record relies on (the split, the features, the fit).

    Editing that code changes the hash even when the package's version number stays the same.
    """
    source = "".join(inspect.getsource(f) for f in (train_and_score, customer_features)) + json.dumps(SPLIT)
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _estimator_description(model) -> dict:
    params = {
        k: v if isinstance(v, (bool, int, float, str, type(None))) else repr(v) for k, v in model.get_params().items()
    }
    return {"class": f"{type(model).__module__}.{type(model).__qualname__}", "params": params}


def _run_id(data: Mapping, params: Mapping, seed) -> str:
    canonical = json.dumps({"data": data, "params": params, "seed": seed}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def run_experiment(recipe: Mapping, params: Mapping, *, seed: int | None) -> tuple[float, dict, object]:
    """Run once and describe the run: returns ``(accuracy, record, model)``. See the module docstring."""
    frame = make_data(recipe)
    score, model = train_and_score(frame, params, seed)
    data = {"generator": "make_customers", "recipe": dict(recipe), "sha256": data_fingerprint(frame)}
    record = {
        "run_id": _run_id(data, dict(params), seed),
        "time_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "data": data,
        "params": dict(params),
        "estimator": _estimator_description(model),
        "split": {**SPLIT, "random_state": seed},
        "seed": seed,
        "code": {"function": f"{train_and_score.__module__}.train_and_score", "sha256": code_fingerprint()},
        "environment": capture_environment(),
        "metrics": {METRIC: score},
    }
    return score, record, model


def repeated_scores(recipe: Mapping, params: Mapping, *, runs: int, seed: int | None) -> pd.DataFrame:
    """The same experiment run ``runs`` times by "colleagues": ``[run, accuracy]``.

    With ``seed=None`` each run draws fresh randomness; with a seed every run should agree exactly.
    """
    if runs < 2:
        raise ReproducibilityError(f"comparing runs needs at least 2 of them, got {runs}")
    frame = make_data(recipe)
    label = "unpinned runs" if seed is None else "pinned runs"
    scores = [train_and_score(frame, params, seed)[0] for _ in progress(range(runs), desc=label)]
    return pd.DataFrame({"run": range(runs), METRIC: scores})


def conclude_reproducibility(unpinned: Sequence[float], pinned: Sequence[float]) -> str:
    """What the runs show: the spread without seeds, and whether pinned runs agree to the last digit.

    >>> conclude_reproducibility([0.81, 0.83, 0.80], [0.82, 0.82]).startswith("Without pinned seeds, 3 runs")
    True
    """
    free, fixed = np.asarray(unpinned, float), np.asarray(pinned, float)
    spread = float(free.max() - free.min())
    if spread == 0:
        first = (
            f"Without pinned seeds, {len(free)} runs happened to agree ({float(free[0])!r}): "
            "too few runs or too little randomness to see a spread at this profile — "
            "agreement by luck is not reproducibility."
        )
    else:
        first = (
            f"Without pinned seeds, {len(free)} runs of the same code on the same data range from "
            f"{free.min():.4f} to {free.max():.4f} (a spread of {spread:.4f}, std {free.std(ddof=1):.4f}):"
            " a colleague re-running it cannot tell a change smaller than that spread from luck."
        )
    if np.all(fixed == fixed[0]):
        value = float(fixed[0])
        if spread == 0:
            where = ""
        elif value > free.max() or value < free.min():
            where = f" It lies {'above' if value > free.max() else 'below'} the unpinned runs' range:"
        else:
            where = " It lies within the unpinned runs' range:"
        second = f" With the seed pinned, all {len(fixed)} runs give {value!r}, to the last digit.{where}" + (
            " a seed makes a number repeatable, not better or truer — it picks one draw from the spread."
            if where
            else ""
        )
    else:
        second = (
            f" With the seed pinned, the runs still differ ({float(fixed.min())!r} to {float(fixed.max())!r}): "
            "some randomness is not reached by the seed (threads, another estimator, the data)."
        )
    return first + second


# ------------------------------------------------------------------------------------------- experiment log


def log_run(path: str | os.PathLike, record: Mapping) -> Path:
    """Append ``record`` as one JSON line to ``path`` (created with its folders if needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
    return path


def read_log(path: str | os.PathLike) -> list[dict]:
    """Every record of a JSON-lines experiment log, oldest first; a broken line is named by its number."""
    path = Path(path)
    if not path.is_file():
        raise ReproducibilityError(f"no experiment log at {path}: run an experiment with log_run first")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise ReproducibilityError(f"{path.name}, line {number}, is not valid JSON ({error.msg})") from None
    return records


def environment_differences(record: Mapping, now: Mapping | None = None) -> dict[str, tuple]:
    """``{what: (logged, now)}`` for every version that differs between the record and this environment."""
    now = now or capture_environment(list(record["environment"]["packages"]))
    differences = {}
    if record["environment"]["python"] != now["python"]:
        differences["python"] = (record["environment"]["python"], now["python"])
    for name, version in record["environment"]["packages"].items():
        if now["packages"].get(name) != version:
            differences[name] = (version, now["packages"].get(name))
    return differences


def recreate(record: Mapping) -> dict:
    """Re-create a logged run from its record and the installed training code; returns the metrics measured again.

    The data is regenerated from its recipe and must hash to the logged SHA-256, and the training code's source
    must hash to the logged one (otherwise the data or the code changed, and no metric could be compared:
    :class:`ReproducibilityError`). The record alone is not enough: it names the code, it does not contain it.
    """
    for key in ("data", "params", "seed", "metrics"):
        if key not in record:
            raise ReproducibilityError(f"the record lacks {key!r}: it cannot re-create the run")
    frame = make_data(record["data"]["recipe"])
    digest = data_fingerprint(frame)
    if digest != record["data"]["sha256"]:
        raise ReproducibilityError(
            f"the data recipe {record['data']['recipe']} now gives data with SHA-256 {digest[:12]}..., "
            f"not the logged {record['data']['sha256'][:12]}...: the data (or its generator) changed"
        )
    logged_code = record.get("code", {}).get("sha256")
    if logged_code is not None and logged_code != code_fingerprint():
        raise ReproducibilityError(
            f"the training code changed since the run (source SHA-256 {code_fingerprint()[:12]}... now, "
            f"{logged_code[:12]}... logged): install the package at the logged version "
            f"({record['environment']['packages'].get('scalingml')}) and the code it had, then re-create"
        )
    score, _ = train_and_score(frame, record["params"], record["seed"])
    return {METRIC: score}


def conclude_recreation(record: Mapping, recreated: Mapping, differences: Mapping | None = None) -> str:
    """Whether the record, with the training code it names, re-created the reported metric exactly.

    >>> conclude_recreation({"metrics": {"accuracy": 0.8}}, {"accuracy": 0.8}, {})[:62]
    'From the logged record and the training code it names (no sour'
    """
    logged, again = float(record["metrics"][METRIC]), float(recreated[METRIC])
    code = record.get("code", {}).get("sha256")
    named = f"source SHA-256 {code[:12]}..." if code else "no source hash logged"
    if logged == again:
        sentence = (
            f"From the logged record and the training code it names ({named}, checked unchanged before the re-run), "
            f"the re-run measured {METRIC} {again!r}: exactly the reported number."
        )
        if differences:
            sentence += f" (Library versions differ: {dict(differences)}; this time the result did not.)"
        return sentence
    cause = f" Library versions differ: {dict(differences)}." if differences else " No library version differs."
    return (
        f"The re-run measured {again!r} against the logged {logged!r} (a difference of {again - logged:+.2e})." + cause
    )


# ---------------------------------------------------------------------------------------------- model card


#: skops template sections no run can fill (who wrote the card, whom to contact, how to cite, a diagram turned off):
#: deleted rather than left as placeholders; whoever publishes the card adds them.
UNKNOWN_TO_THE_RUN = (
    "Model description/Training Procedure/Model Plot",
    "Model Card Authors",
    "Model Card Contact",
    "Citation",
)


def write_model_card(model, record: Mapping, folder: str | os.PathLike) -> Path:
    """Write ``README.md``, a model card made with :mod:`skops.card`, into ``folder``; return its path.

    Offline: no hub metadata is fetched. The card carries the record's metrics, parameters, data recipe and hash,
    environment, and the code that re-creates the run; sections the run cannot fill are left out, not stubbed.
    """
    from skops import card

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model_card = card.Card(model, model_diagram=False)
    data = record["data"]
    estimator = record.get("estimator", {})
    model_card.add(
        **{
            "Model description": (
                "Random forest that predicts churn from the course's customer table (`scalingml.datasets`). "
                f"Run `{record['run_id']}`, logged at {record['time_utc']}."
            ),
            "Model description/Intended uses & limitations": (
                "Teaching only: the data is synthetic (see `datasets/README.md`). Not for decisions about people."
            ),
            "Model description/Training Procedure": (
                f"Data: `{data['generator']}(**{data['recipe']})`, SHA-256 `{data['sha256']}`. "
                f"A stratified quarter held out; seed {record['seed']} for the split and the forest. "
                f"Estimator: `{estimator.get('class')}` (all its parameters are in the table below)."
            ),
            "Model description/Training Procedure/Environment": ", ".join(
                f"{name} {version}" for name, version in record["environment"]["packages"].items()
            )
            + f"; Python {record['environment']['python']}",
            "How to Get Started with the Model": (
                "Re-create the reported metric from the experiment log and the training code it names "
                f"(`{record.get('code', {}).get('function')}`, source SHA-256 "
                f"`{record.get('code', {}).get('sha256', '')[:12]}...`, in scalingml "
                f"{record['environment']['packages'].get('scalingml')}):\n\n"
                "```python\nfrom scalingml.experiments.talent import reproducibility\n"
                "record = reproducibility.read_log('experiments.jsonl')[-1]\n"
                "reproducibility.recreate(record)\n```"
            ),
        }
    )
    model_card.add_metrics(**record["metrics"])
    for placeholder in UNKNOWN_TO_THE_RUN:  # skops's template would print "[More Information Needed]" there
        model_card.delete(placeholder)
    path = folder / "README.md"
    model_card.save(path)
    return path

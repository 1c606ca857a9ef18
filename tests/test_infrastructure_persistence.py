"""Safe updates (lesson 03): skops persistence with versions, pickle's code execution, refusals."""

import pickle
import zipfile

import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scalingml.errors import ScalingmlError
from scalingml.experiments import persistence
from scalingml.experiments.features import customer_xy


@pytest.fixture(scope="module")
def pipeline():
    X, y = customer_xy(300, seed=0)
    model = make_pipeline(StandardScaler(), HistGradientBoostingClassifier(max_iter=5, early_stopping=False))
    return model.fit(X, y), X


def test_round_trip_keeps_predictions_and_records_versions(pipeline, tmp_path):
    model, X = pipeline
    path = persistence.save_model(model, tmp_path / "churn.skops", trained_on="month 0")
    assert persistence.untrusted_types(path) == list(persistence.TRUSTED_TYPES)
    loaded, versions, mismatches = persistence.load_model(path)
    assert (loaded.predict(X) == model.predict(X)).all()
    assert versions == persistence.library_versions() and mismatches == []
    assert {"python", "scikit-learn", "numpy", "skops"} <= set(versions)


def test_without_the_allowlist_the_model_is_refused(pipeline, tmp_path):
    model, _ = pipeline
    path = persistence.save_model(model, tmp_path / "churn.skops")
    with pytest.raises(persistence.UntrustedModelError, match="TreePredictor"):
        persistence.load_model(path, trusted=())


def test_version_mismatches_are_reported(pipeline, tmp_path, monkeypatch):
    model, _ = pipeline
    path = persistence.save_model(model, tmp_path / "churn.skops")
    real = persistence.library_versions()
    monkeypatch.setattr(persistence, "library_versions", lambda: real | {"scikit-learn": "99.0"})
    _, _, mismatches = persistence.load_model(path)
    assert mismatches == [f"scikit-learn: saved with {real['scikit-learn']}, installed 99.0"]


def test_pickle_runs_code_on_load():
    assert persistence.pickle_runs_code() == ["code ran while loading a pickle"]
    persistence.LOAD_EVENTS.clear()
    pickle.loads(pickle.dumps(persistence.RunsCodeOnLoad()))
    assert persistence.LOAD_EVENTS == ["code ran while loading a pickle"]


def test_skops_refuses_the_same_object_without_running_it(tmp_path):
    message = persistence.skops_refusal(tmp_path / "evil.skops")
    assert "Untrusted types found" in message and "RunsCodeOnLoad" in message
    assert persistence.LOAD_EVENTS == []
    with pytest.raises(persistence.UntrustedModelError, match="not on the allowlist: .*RunsCodeOnLoad"):
        persistence.load_model(tmp_path / "evil.skops")


def test_a_file_that_is_not_a_skops_model_is_a_clear_error(tmp_path):
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(pickle.dumps({"weights": [1, 2]}))
    with pytest.raises(persistence.ModelFileError, match="not a skops model file"):
        persistence.load_model(pickled)
    with pytest.raises(persistence.ModelFileError, match="No model file"):
        persistence.load_model(tmp_path / "missing.skops")
    assert issubclass(persistence.ModelFileError, ScalingmlError)


def test_a_skops_file_without_versions_is_refused(tmp_path):
    import skops.io as sio

    path = tmp_path / "bare.skops"
    sio.dump({"weights": [1, 2]}, path)
    assert zipfile.is_zipfile(path)
    with pytest.raises(persistence.ModelFileError, match="not one written by save_model"):
        persistence.load_model(path)

"""Lesson 04, retention: reproducible runs, the experiment log, the model card, and the truck factor."""

import json

import pandas as pd
import pytest

from scalingml import datasets
from scalingml.errors import ScalingmlError
from scalingml.experiments.talent import reproducibility as rep
from scalingml.experiments.talent import truck_factor as tf

RECIPE = {"n_rows": 400, "seed": 0}
PARAMS = {"n_estimators": 5, "min_samples_leaf": 2}


# ------------------------------------------------------------------------------------------- reproducibility


def test_unpinned_runs_spread_and_pinned_runs_agree_exactly():
    unpinned = rep.repeated_scores(RECIPE, PARAMS, runs=5, seed=None)["accuracy"]
    pinned = rep.repeated_scores(RECIPE, PARAMS, runs=3, seed=7)["accuracy"]
    assert unpinned.nunique() > 1, "fresh randomness in split and forest must move the score"
    assert pinned.nunique() == 1


def test_the_seed_must_reach_both_the_split_and_the_estimator(monkeypatch):
    frame = rep.make_data(RECIPE)
    first, model = rep.train_and_score(frame, PARAMS, 3)
    assert model.random_state == 3
    assert rep.train_and_score(frame, PARAMS, 3)[0] == first
    assert len({rep.train_and_score(frame, PARAMS, s)[0] for s in range(5)}) > 1


def test_repeated_scores_needs_two_runs():
    with pytest.raises(ScalingmlError, match="at least 2"):
        rep.repeated_scores(RECIPE, PARAMS, runs=1, seed=0)


def test_environment_lists_versions_and_marks_missing_packages():
    env = rep.capture_environment(["numpy", "surely-not-installed-pkg"])
    assert env["packages"]["numpy"].count(".") >= 1
    assert env["packages"]["surely-not-installed-pkg"] is None
    assert env["python"].count(".") == 2


def test_fingerprint_changes_with_any_value_or_order():
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 0.25, 0.125]})
    digest = rep.data_fingerprint(frame)
    assert digest == rep.data_fingerprint(frame.copy()) and len(digest) == 64
    assert digest != rep.data_fingerprint(frame.assign(b=[0.5, 0.25, 0.126]))
    assert digest != rep.data_fingerprint(frame.iloc[::-1])


def test_record_round_trips_through_the_log_and_recreates_the_metric(tmp_path):
    score, record, _ = rep.run_experiment(RECIPE, PARAMS, seed=11)
    log = tmp_path / "runs" / "experiments.jsonl"
    rep.log_run(log, record)
    rep.log_run(log, rep.run_experiment(RECIPE, PARAMS, seed=12)[1])
    records = rep.read_log(log)
    assert len(records) == 2 and len(log.read_text().splitlines()) == 2
    assert records[0]["metrics"]["accuracy"] == score, "JSON keeps a float to the last digit"
    assert rep.recreate(records[0]) == {"accuracy": score}
    assert rep.recreate(records[1])["accuracy"] == records[1]["metrics"]["accuracy"]
    assert records[0]["run_id"] != records[1]["run_id"]
    assert rep.environment_differences(records[0]) == {}


def test_recreate_refuses_changed_data_and_incomplete_records():
    _, record, _ = rep.run_experiment(RECIPE, PARAMS, seed=1)
    changed = json.loads(json.dumps(record))
    changed["data"]["sha256"] = "0" * 64
    with pytest.raises(ScalingmlError, match="data"):
        rep.recreate(changed)
    with pytest.raises(ScalingmlError, match="'seed'"):
        rep.recreate({k: v for k, v in record.items() if k != "seed"})
    with pytest.raises(ScalingmlError, match="recipe"):
        rep.make_data({"rows": 10})


def test_read_log_names_a_broken_line_and_a_missing_file(tmp_path):
    with pytest.raises(ScalingmlError, match="no experiment log"):
        rep.read_log(tmp_path / "none.jsonl")
    path = tmp_path / "log.jsonl"
    path.write_text('{"a": 1}\n\n{broken\n')
    with pytest.raises(ScalingmlError, match="line 3"):
        rep.read_log(path)


def test_environment_differences_are_reported():
    record = {"environment": {"python": "3.0.0", "packages": {"numpy": "0.0.1"}}}
    now = {"python": "3.11.7", "packages": {"numpy": "2.4.6"}}
    assert rep.environment_differences(record, now) == {"python": ("3.0.0", "3.11.7"), "numpy": ("0.0.1", "2.4.6")}


def test_conclude_reproducibility_branches():
    spread = rep.conclude_reproducibility([0.80, 0.82, 0.81], [0.81, 0.81])
    assert "range from 0.8000 to 0.8200" in spread and "all 2 runs give 0.81, to the last digit" in spread
    assert "happened to agree" in rep.conclude_reproducibility([0.8, 0.8], [0.8, 0.8])
    assert "still differ" in rep.conclude_reproducibility([0.8, 0.9], [0.8, 0.81])
    above = rep.conclude_reproducibility([0.80, 0.82], [0.83, 0.83])
    assert "above the unpinned runs' range" in above and "picks one draw" in above
    assert "below the unpinned runs' range" in rep.conclude_reproducibility([0.80, 0.82], [0.79, 0.79])
    assert "within the unpinned runs' range" in spread
    assert "picks one draw" not in rep.conclude_reproducibility([0.8, 0.8], [0.8, 0.8])


def test_conclude_recreation_branches():
    record = {"metrics": {"accuracy": 0.8}}
    assert "exactly the reported number" in rep.conclude_recreation(record, {"accuracy": 0.8}, {})
    assert "no source hash logged" in rep.conclude_recreation(record, {"accuracy": 0.8}, {})
    hashed = {**record, "code": {"sha256": "abcdef0123456789"}}
    assert "source SHA-256 abcdef012345..." in rep.conclude_recreation(hashed, {"accuracy": 0.8}, {})
    assert "versions differ" in rep.conclude_recreation(record, {"accuracy": 0.8}, {"numpy": ("1", "2")})
    off = rep.conclude_recreation(record, {"accuracy": 0.81}, {})
    assert "against the logged 0.8" in off and "No library version differs" in off


def test_model_card_is_written_offline_with_the_record(tmp_path):
    _, record, model = rep.run_experiment(RECIPE, PARAMS, seed=2)
    path = rep.write_model_card(model, record, tmp_path / "card")
    text = path.read_text()
    assert path.name == "README.md"
    assert record["data"]["sha256"] in text and record["run_id"] in text
    assert "accuracy" in text and "recreate(record)" in text
    assert "RandomForestClassifier" in text and record["code"]["sha256"][:12] in text
    assert "More Information Needed" not in text, "a card generated from the run has no placeholder left"


def test_record_names_the_estimator_split_and_code_and_refuses_changed_code(monkeypatch):
    _, record, _ = rep.run_experiment(RECIPE, PARAMS, seed=2)
    assert record["estimator"]["class"] == "sklearn.ensemble._forest.RandomForestClassifier"
    assert record["estimator"]["params"]["random_state"] == 2 and "max_features" in record["estimator"]["params"]
    assert record["split"] == {**rep.SPLIT, "random_state": 2}
    assert record["code"]["sha256"] == rep.code_fingerprint()
    monkeypatch.setitem(rep.SPLIT, "test_size", 0.3)  # someone edits the training code, the version stays
    assert rep.code_fingerprint() != record["code"]["sha256"]
    with pytest.raises(rep.ReproducibilityError, match="training code changed"):
        rep.recreate(record)


# ---------------------------------------------------------------------------------------------- truck factor


def make_log(rows):
    """rows: (commit, author, file)."""
    return pd.DataFrame(rows, columns=["commit", "author", "file"])


def test_knowledge_counts_distinct_commits_per_file():
    log = make_log([(1, "a", "x"), (1, "a", "x"), (2, "b", "x"), (3, "b", "x"), (4, "b", "x"), (5, "b", "x")])
    table = tf.knowledge(log).set_index("author")
    assert table.loc["a", "commits"] == 1 and table.loc["a", "share"] == pytest.approx(0.2)
    assert not table.loc["a", "knows"] and table.loc["b", "knows"]
    assert tf.knowledge(log, min_share=0.2).set_index("author").loc["a", "knows"], "the bound is inclusive"


def test_truck_factor_counts_files_not_commits():
    # "c" makes most commits, all to one notebook; "a" and "b" each alone know three of the seven files.
    rows = [(i, "c", "nb.ipynb") for i in range(20)]
    rows += [(100 + i, "a", f) for i, f in enumerate(["x.py", "y.py", "w.py"])]
    rows += [(200 + i, "b", f) for i, f in enumerate(["u.py", "v.py", "t.py"])]
    log = make_log(rows)
    result = tf.truck_factor(log)
    assert (result.value, set(result.departing)) == (2, {"a", "b"})
    assert result.orphaned_files == ("t.py", "u.py", "v.py", "w.py", "x.py", "y.py") and result.n_files == 7
    assert tf.commit_count_factor(log) == 1, "c alone made more than half of the commits, yet knows one file"


def test_more_than_half_is_strict():
    # two files, each known by one author: losing one author orphans exactly half, which is not enough
    log = make_log([(1, "a", "x"), (2, "b", "y")])
    assert tf.truck_factor(log).value == 2
    log3 = make_log([(1, "a", "x"), (2, "b", "y"), (3, "a", "z")])
    assert tf.truck_factor(log3).value == 1


def test_exact_search_beats_greedy_on_a_trap():
    # "hub" knows most files, but each of them with someone else; p and q alone know three files each.
    rows = []
    for i in range(1, 5):
        rows += [(f"h{i}", "hub", f"f{i}"), (f"a{i}", f"a{i}", f"f{i}")]
    rows += [(f"p{i}", "p", f"f{i}") for i in (5, 6, 7)] + [(f"q{i}", "q", f"f{i}") for i in (8, 9, 10)]
    log = make_log(rows)
    exact = tf.truck_factor(log)
    assert (exact.value, set(exact.departing), exact.exact) == (2, {"p", "q"}, True)
    assert len(exact.orphaned_files) == 6
    greedy = tf.truck_factor(log, max_combinations=1)
    assert not greedy.exact and greedy.value == 3 and greedy.departing[0] == "hub"


def test_files_nobody_knows_are_orphaned_from_the_start():
    rows = [(i, author, "shared.py") for i, author in enumerate("abcde")] + [(9, "a", "own.py")]
    rows += [(10 + i, author, "other.py") for i, author in enumerate("vwxyz")]
    result = tf.truck_factor(make_log(rows))
    assert result.value == 0 and result.orphaned_files == ("other.py", "shared.py")
    assert "already today" in tf.conclude_truck_factor(result, 1)


@pytest.mark.parametrize(
    "log, match",
    [
        (pd.DataFrame({"author": ["a"], "file": ["x"]}), "commit"),
        (pd.DataFrame({"sha": [1], "who": ["a"], "path": ["x"]}), r"\['commit', 'author', 'file'\]"),
        (pd.DataFrame(columns=["commit", "author", "file"]), "empty"),
        (pd.DataFrame({"commit": [1, 2], "author": ["a", None], "file": ["x", "y"]}), "lack a commit, author or file"),
        ([("1", "a", "x")], "DataFrame"),
    ],
)
def test_bad_commit_logs_get_clear_errors(log, match):
    with pytest.raises(tf.BadCommitLogError, match=match):
        tf.truck_factor(log)
    assert issubclass(tf.BadCommitLogError, ScalingmlError)


def test_bad_shares_are_refused():
    log = make_log([(1, "a", "x")])
    with pytest.raises(ScalingmlError, match="min_share"):
        tf.knowledge(log, min_share=0)
    with pytest.raises(ScalingmlError, match="share"):
        tf.with_pairing(log, 1.5)


def test_pairing_never_lowers_and_eventually_raises_the_truck_factor():
    log = datasets.load("commits")
    curve = tf.pairing_curve(log, [0.0, 0.5, 1.0])
    assert curve["truck_factor"].is_monotonic_increasing
    assert curve["truck_factor"].iloc[-1] > curve["truck_factor"].iloc[0]
    paired = tf.with_pairing(log, 0.5)
    assert len(paired) > len(log) and set(paired["commit"]) == set(log["commit"]), "co-authors, not new commits"


def test_shipped_commit_log_tells_commits_from_knowledge():
    log = datasets.load("commits")
    assert tuple(log.columns) == datasets.COMMIT_LOG_COLUMNS
    summary = tf.author_summary(log)
    most_commits = summary.sort_values("commits").iloc[-1]
    most_files = summary.iloc[0]
    assert most_files["files_known"] > summary["files_known"].iloc[1]
    assert tf.truck_factor(log).value != tf.commit_count_factor(log)
    assert most_commits["author"] == most_files["author"] or most_commits["files_known"] < most_files["files_known"]


def test_conclude_truck_factor_and_pairing_branches():
    result = tf.TruckFactor(2, ("a", "b"), ("x", "y", "z"), 5)
    assert "if a and b left, 3 of 5 files (60%)" in tf.conclude_truck_factor(result, 1)
    assert "would give 3 (more people" in tf.conclude_truck_factor(result, 3)
    assert "would give 1 (fewer people" in tf.conclude_truck_factor(result, 1)
    assert "same number here" in tf.conclude_truck_factor(result, 2)
    assert "upper bound" in tf.conclude_truck_factor(tf.TruckFactor(2, ("a", "b"), ("x",), 1, exact=False), 2)
    flat = pd.DataFrame({"paired_share": [0.0, 0.5, 1.0], "truck_factor": [1, 1, 1]})
    assert "left the truck factor at 1" in tf.conclude_pairing(flat)
    rising = pd.DataFrame({"paired_share": [0.0, 0.25, 0.5], "truck_factor": [1, 1, 3]})
    assert tf.conclude_pairing(rising) == (
        "Pairing raises the truck factor from 1 (no pairing) to 3, first reached with 50% of the files paired "
        "(the largest share tried): more pairing might raise it further."
    )
    plateau = pd.DataFrame({"paired_share": [0.0, 0.25, 0.5, 1.0], "truck_factor": [3, 4, 5, 5]})
    text = tf.conclude_pairing(plateau.iloc[::-1])
    assert "from 3 (no pairing) to 5, first reached with 50%" in text and "a plateau" in text
    assert "4 at 25%" in text
    bumpy = pd.DataFrame({"paired_share": [0.0, 0.5, 1.0], "truck_factor": [1, 3, 2]})
    assert "not monotone" in tf.conclude_pairing(bumpy)
    assert "cannot show an effect" in tf.conclude_pairing(plateau.iloc[:1])


def test_pairing_rotates_the_partner_to_who_knows_least():
    # a knows four files alone; b, c and d know nothing: each paired file goes to whoever knows least so far
    log = make_log([(i, "a", f"f{i}") for i in range(4)] + [(10, "b", "g"), (11, "c", "g"), (12, "d", "g")])
    paired = tf.with_pairing(log, 1.0)
    partners = paired.iloc[len(log) :]
    partners = partners[partners["file"] != "g"]["author"]
    assert sorted(partners.value_counts().tolist()) == [1, 1, 2], "the partner changes as people learn files"
    assert tf.truck_factor(paired).value > tf.truck_factor(log).value


def test_assignment_logs_co_authored_commits_and_a_file_nobody_knows():
    """The values assignment 04's hidden tests expect, from the package's definition."""
    co_authored = make_log([(1, "a", "x"), (1, "b", "x"), (2, "c", "x"), (3, "c", "x"), (4, "c", "x"), (5, "c", "y")])
    assert tf.truck_factor(co_authored).value == 3, "x has 4 distinct commits: a and b each know it (25%)"
    unknown = make_log([(i, f"p{i}", "shared") for i in range(5)] + [(10, "a", "x"), (11, "b", "y")])
    assert tf.truck_factor(unknown).value == 1, "'shared' is orphaned from the start and counts among 3 files"

import pytest

from scalingml import scale


def test_default_profile_is_small(monkeypatch):
    monkeypatch.delenv(scale.ENV_VAR, raising=False)
    monkeypatch.delenv(scale.AUTOGRADING_ENV_VAR, raising=False)
    assert scale.active().name == "small"


@pytest.mark.parametrize("name", ["ci", "small", "large", " LARGE "])
def test_env_var_selects_profile(monkeypatch, name):
    monkeypatch.delenv(scale.AUTOGRADING_ENV_VAR, raising=False)
    monkeypatch.setenv(scale.ENV_VAR, name)
    assert scale.active().name == name.strip().lower()


def test_autograding_forces_ci_whatever_the_setting(monkeypatch):
    monkeypatch.setenv(scale.ENV_VAR, "large")
    monkeypatch.setenv(scale.AUTOGRADING_ENV_VAR, "autograde")
    assert scale.active().name == "ci"


def test_unknown_profile_lists_the_valid_ones(monkeypatch):
    monkeypatch.delenv(scale.AUTOGRADING_ENV_VAR, raising=False)
    monkeypatch.setenv(scale.ENV_VAR, "huge")
    with pytest.raises(scale.UnknownProfileError) as info:
        scale.active()
    message = str(info.value)
    assert "'huge'" in message
    for valid in scale.PROFILES:
        assert valid in message


def test_profiles_grow_from_ci_to_large():
    ci, small, large = (scale.get_profile(n) for n in ("ci", "small", "large"))
    assert ci.n_rows < small.n_rows < large.n_rows
    assert ci.n_partitions <= small.n_partitions <= large.n_partitions
    assert not ci.processes, "ci must use a thread cluster: process workers cost ~12 s to start on 2 cores"


@pytest.mark.parametrize("name", list(scale.PROFILES))
def test_sizes_are_increasing_and_end_at_n_rows(name):
    profile = scale.get_profile(name)
    sizes = profile.sizes(6)
    assert sizes[0] == profile.min_rows and sizes[-1] == profile.n_rows
    assert list(sizes) == sorted(set(sizes))


def test_using_restores_previous_value(monkeypatch):
    monkeypatch.delenv(scale.AUTOGRADING_ENV_VAR, raising=False)
    monkeypatch.setenv(scale.ENV_VAR, "ci")
    with scale.using("large"):
        assert scale.active().name == "large"
    assert scale.active().name == "ci"
    with pytest.raises(scale.UnknownProfileError), scale.using("nope"):
        pass

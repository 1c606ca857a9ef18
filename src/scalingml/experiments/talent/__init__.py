"""Lesson 04, talent: the experiments behind each claim, one small module per topic.

* :mod:`~scalingml.experiments.talent.mistakes`: the skill gap, measured — leakage, evaluation mistakes, a checklist;
* :mod:`~scalingml.experiments.talent.reproducibility`: seeds, a captured environment, an experiment log, a model card;
* :mod:`~scalingml.experiments.talent.truck_factor`: who alone knows which files of a repository;
* :mod:`~scalingml.experiments.talent.tuning`: how far good defaults get you against a tuning budget;
* :mod:`~scalingml.experiments.talent.learning_path`: a self-assessment that maps answers to sections to revisit.

Each module also holds the ``conclude_*`` functions that turn measured numbers into the sentences the lesson
prints, so that every sentence is computed and every branch (the inconclusive one included) is tested.
"""

from scalingml.scale import ScaleProfile

#: Experiments that refit many times (re-runs, searches) cap their table at this many times ``min_rows``.
REPEATED_ROWS_FACTOR = 20


def repeated_experiment_rows(profile: ScaleProfile) -> int:
    """Rows of a table that an experiment fits many times: the profile's ``n_rows``, capped at 20 x ``min_rows``.

    The cap keeps the re-runs of the reproducibility experiment and the tuning searches within the ``large``
    profile's budget; at ``ci`` and ``small`` it is ``n_rows`` itself.

    >>> from scalingml import scale
    >>> [repeated_experiment_rows(scale.get_profile(name)) for name in ("ci", "small", "large")]
    [2000, 20000, 100000]
    """
    return min(profile.n_rows, REPEATED_ROWS_FACTOR * profile.min_rows)

"""Lesson 04, talent: the experiments behind each claim, one small module per topic.

* :mod:`~scalingml.experiments.talent.mistakes`: the skill gap, measured — leakage, evaluation mistakes, a checklist;
* :mod:`~scalingml.experiments.talent.reproducibility`: seeds, a captured environment, an experiment log, a model card;
* :mod:`~scalingml.experiments.talent.truck_factor`: who alone knows which files of a repository;
* :mod:`~scalingml.experiments.talent.tuning`: how far good defaults get you against a tuning budget;
* :mod:`~scalingml.experiments.talent.learning_path`: a self-assessment that maps answers to sections to revisit.

Each module also holds the ``conclude_*`` functions that turn measured numbers into the sentences the lesson
prints, so that every sentence is computed and every branch (the inconclusive one included) is tested.
"""

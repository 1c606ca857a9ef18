"""Lesson 04, training: the tuning budget curve and the self-assessment's learning path (tested without widgets)."""

import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold, train_test_split

from scalingml import lessons, scale
from scalingml.errors import ScalingmlError
from scalingml.experiments.features import customer_xy
from scalingml.experiments.talent import learning_path as lp
from scalingml.experiments.talent import tuning
from scalingml.quickcheck import MultipleChoice, Option, QuickCheckError, lesson_module


@pytest.fixture(scope="module")
def split():
    X, y = customer_xy(800, seed=3)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def measured(split):
    X_train, X_test, y_train, y_test = split
    return tuning.tuning_curve(X_train, y_train, X_test, y_test, budgets=[1, 2, 4], cv=2, seed=0)


def test_curve_has_one_row_per_budget_and_never_loses_cv_score(measured):
    curve, default = measured
    assert curve["budget"].tolist() == [1, 2, 4]
    assert curve["cv_score"].is_monotonic_increasing, "a larger budget keeps the best candidate found so far"
    assert 0.5 < default <= 1 and curve["test_score"].between(0, 1).all()


def test_each_budget_is_what_a_search_with_that_n_iter_would_choose(split, measured):
    X_train, _, y_train, _ = split
    curve, _ = measured
    search = RandomizedSearchCV(
        HistGradientBoostingClassifier(random_state=0),
        tuning.PARAM_DISTRIBUTIONS,
        n_iter=2,
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        random_state=0,
        n_jobs=1,
    ).fit(X_train, y_train)
    assert curve.loc[curve["budget"] == 2, "params"].item() == search.best_params_
    assert curve.loc[curve["budget"] == 2, "cv_score"].item() == pytest.approx(search.best_score_)


def test_share_of_best_counts_the_default():
    curve = pd.DataFrame({"budget": [1, 2], "test_score": [0.8, 0.9]})
    assert tuning.share_of_best(curve, 0.95)["share"].tolist() == pytest.approx([0.8 / 0.95, 0.9 / 0.95])
    assert tuning.share_of_best(curve, 0.5)["share"].iloc[-1] == 1


def test_budget_to_beat_is_strict_and_may_not_be_reached():
    curve = pd.DataFrame({"budget": [4, 1, 2], "test_score": [0.90, 0.80, 0.85]})
    assert tuning.budget_to_beat(curve, 0.84) == 2
    assert tuning.budget_to_beat(curve, 0.85) == 4, "equal to the default is not beating it"
    assert tuning.budget_to_beat(curve, 0.84, margin=0.02) == 4
    assert tuning.budget_to_beat(curve, 0.95) is None


@pytest.mark.parametrize("budgets", [[0], [2, 0], [-1], [1.5], [], [True]])
def test_bad_budgets_get_a_clear_error(budgets, split):
    with pytest.raises(tuning.BadBudgetError, match="budget"):
        tuning.tuning_curve(*split[:1], split[2], split[1], split[3], budgets=budgets)
    assert issubclass(tuning.BadBudgetError, ScalingmlError)


def test_budgets_up_to_follow_the_profile():
    assert tuning.budgets_up_to(8) == (1, 2, 4, 8)
    assert tuning.budgets_up_to(6) == (1, 2, 4, 6)
    for name in scale.PROFILES:
        budgets = tuning.budgets_up_to(scale.get_profile(name).search_budget)
        assert budgets[0] == 1 and budgets[-1] == scale.get_profile(name).search_budget
    with pytest.raises(tuning.BadBudgetError, match="zero"):
        tuning.budgets_up_to(0)


def test_conclude_tuning_branches():
    curve = pd.DataFrame({"budget": [1, 2, 4], "test_score": [0.80, 0.84, 0.90]})
    beaten = tuning.conclude_tuning(curve, 0.82, 1_000)
    assert "with 4 candidate(s) (0.900)" in beaten and "91.1% of the best" in beaten
    assert "one accuracy on 1000 test rows" in beaten
    close = tuning.conclude_tuning(curve.assign(test_score=[0.80, 0.81, 0.83]), 0.82, 1_000)
    assert "not reached within the budgets tried" in close and "budget of 1 already" not in close
    assert "A budget of 4 already scored higher, but by less than the noise" in close
    never = tuning.conclude_tuning(curve.assign(test_score=[0.70, 0.71, 0.72]), 0.82, 1_000)
    assert "100.0% of the best" in never and "scored higher" not in never


# ----------------------------------------------------------------------------------------------- learning path


def test_the_bank_is_one_quick_check_question_per_challenge_of_every_lesson():
    assert all(isinstance(question, MultipleChoice) for question in lp.QUESTIONS)
    assert [q.key for q in lp.QUESTIONS] == [section.key for section in lessons.sections()], "in course order"
    assert set(lp.EXAMPLE_WRONG) <= set(lp.EXAMPLE_ANSWERS) <= {q.key for q in lp.QUESTIONS}
    for question in lp.QUESTIONS:
        assert lp.choices(question) == (*(o.text for o in question.options), lp.NOT_SURE)


def test_the_bank_lives_with_each_lessons_quick_checks():
    for lesson in lessons.LESSONS:
        keys = [q.key for q in lesson_module(lesson).ASSESSMENT]
        assert keys == [section.key for section in lesson.sections], lesson.quickcheck


def test_grade_names_each_questions_lesson_and_section_from_the_registry():
    retention = next(q for q in lp.QUESTIONS if q.key == "04.retention")
    graded = lp.grade({"04.retention": retention.right_letter}).set_index("question")
    assert graded.loc["04.retention"].tolist() == ["04 talent", "2 Retention", "correct"]
    assert graded.loc["05.bias", "lesson"] == "05 regulation and ethics"


def test_a_bank_question_must_point_to_a_lesson_section():
    stray = MultipleChoice(key="04.nowhere", prompt="?", options=(Option("x", True), Option("y", False)))
    with pytest.raises(ScalingmlError, match="No lesson section '04.nowhere'; known: 04.skill-gap"):
        lp.grade({}, (stray,))


def test_describe_path_counts_sections_not_questions():
    def ask(key):
        return MultipleChoice(key=key, prompt="?", options=(Option("x", True), Option("y", False)))

    bank = (ask("01.quality"), ask("01.quality"), ask("01.volume"))
    text = lp.describe_path(lp.learning_path({"01.quality": "b", "01.volume": "b"}, bank))
    assert text.startswith("Your learning path (2 section(s) to revisit, from 3 question(s)")


def test_all_correct_gives_an_empty_path_and_all_wrong_every_section():
    right = {q.key: q.right_letter for q in lp.QUESTIONS}
    assert lp.learning_path(right).empty
    wrong = {q.key: q.wrong_letters[0] for q in lp.QUESTIONS}
    path = lp.learning_path(wrong)
    assert len(path) == len(lp.QUESTIONS) and set(path["status"]) == {"wrong"}
    assert path["lesson"].is_monotonic_increasing, "in course order"


def test_answers_are_what_the_quick_checks_take():
    question = lp.QUESTIONS[0]
    right = question.options.index(next(o for o in question.options if o.correct))
    for answer in (question.right_letter, question.right_letter.upper(), right + 1, question.options[right].text):
        assert lp.status(question, answer) == "correct", answer


def test_not_sure_and_unanswered_are_on_the_path():
    question = lp.QUESTIONS[0]
    graded = lp.grade({question.key: lp.NOT_SURE}).set_index("question")
    assert graded.loc[question.key, "status"] == lp.NOT_SURE
    assert graded.loc[lp.QUESTIONS[1].key, "status"] == "unanswered"
    assert lp.grade({question.key: None}).set_index("question").loc[question.key, "status"] == "unanswered"


def test_example_answers_give_a_path_that_names_lessons_and_sections():
    text = lp.describe_path(lp.learning_path(lp.EXAMPLE_ANSWERS))
    assert text.startswith("Your learning path")
    assert "02 · 3 Training time (wrong)" in text and "04 · 2 Retention (wrong)" in text
    assert "01 data management" not in text, "the example learner answered lesson 01 correctly"


@pytest.mark.parametrize(
    "answers, match",
    [
        ({"nope": "a"}, "No self-assessment question 'nope'; known: 01.quality"),
        ({"04.skill-gap": 9}, "9 is not an answer to 04.skill-gap: give one of a, b, c, 'not sure', or None"),
        ({"04.skill-gap": True}, "True is not an answer"),
        ({"04.skill-gap": "z"}, "'z' is not an answer"),
    ],
)
def test_bad_answers_are_named(answers, match):
    with pytest.raises(QuickCheckError, match=match):
        lp.grade(answers)
    assert issubclass(QuickCheckError, ScalingmlError)


def test_widget_shows_the_same_path_as_the_logic():
    widget = lp.assessment_widget()
    radios = [c for c in widget.children if hasattr(c, "options")]
    assert len(radios) == len(lp.QUESTIONS)
    first = lp.QUESTIONS[0]
    radios[0].value = next(o.text for o in first.options if o.correct)
    radios[1].value = lp.NOT_SURE
    button = widget.children[-2]
    button.click()
    expected = lp.describe_path(lp.learning_path(widget.answers()))
    assert widget.answers()[first.key] == first.right_letter
    assert widget.answers()[lp.QUESTIONS[1].key] == lp.NOT_SURE and widget.answers()[lp.QUESTIONS[2].key] is None
    assert expected.splitlines()[0] in widget.children[-1].value

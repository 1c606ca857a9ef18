"""Quick checks: the answer logic, the widget panel (clicked headless), and one check closing every lesson section."""

from __future__ import annotations

import ast
import re

import pytest

from scalingml import lessons
from scalingml.quickcheck import (
    QUESTIONS,
    Estimate,
    MultipleChoice,
    Option,
    QuickCheckError,
    check_answer,
    lesson_module,
    question,
    quick_check,
)
from tests.notebook_tools import REPO, read

CHOICES = [q for q in QUESTIONS.values() if isinstance(q, MultipleChoice)]
ESTIMATES = [q for q in QUESTIONS.values() if isinstance(q, Estimate)]
#: measurements the estimate checks need, at a plausible value (the lessons pass the real ones)
MEASURED = {"k": 1.1, "r2": 0.97}


def test_keys_are_unique_and_name_their_lesson():
    keys = [q.key for lesson in lessons.LESSONS for q in lesson_module(lesson).CHECKS]
    assert len(keys) == len(set(keys)) == len(QUESTIONS)
    for lesson in lessons.LESSONS:
        checks = lesson_module(lesson).CHECKS
        assert checks, lesson.quickcheck
        assert all(q.key.startswith(f"{lesson.number}.") for q in checks), lesson.quickcheck
        assert {s.key for s in lesson.sections} <= {q.key for q in checks}, "each challenge section has its check"


@pytest.mark.parametrize("mcq", CHOICES, ids=lambda q: q.key)
def test_every_option_explains_itself_and_only_one_is_right(mcq):
    assert len(mcq.options) >= 3
    verdicts = []
    for letter, option in zip(mcq.letters, mcq.options, strict=True):
        assert len(option.why) > 40, f"{mcq.key} ({letter}) needs an explanation"
        feedback = check_answer(mcq.key, letter)
        assert feedback.correct is option.correct
        assert option.why in feedback.explanation
        verdicts.append(feedback.correct)
    assert verdicts.count(True) == 1


def test_a_right_answer_shows_why_the_other_options_are_wrong():
    mcq = question("02.overfitting")
    right = next(letter for letter, o in zip(mcq.letters, mcq.options, strict=True) if o.correct)
    feedback = check_answer(mcq.key, right)
    wrong_whys = [o.why for o in mcq.options if not o.correct]
    assert all(any(why in line for line in feedback.more) for why in wrong_whys)
    wrong = next(letter for letter in mcq.letters if letter != right)
    assert check_answer(mcq.key, wrong).more == ()
    assert "Try another option" in str(check_answer(mcq.key, wrong))


def test_options_are_named_by_letter_number_or_text():
    mcq = question("01.volume")
    assert mcq.option("B") is mcq.option(2) is mcq.option("2") is mcq.option(mcq.options[1].text) is mcq.options[1]
    for bad in ("z", 0, 4, "", True):
        with pytest.raises(QuickCheckError, match="answer with one of a, b, c"):
            mcq.option(bad)


def _every_multiple_choice() -> list[MultipleChoice]:
    """Every multiple-choice question a learner can meet, read through the registry: each lesson's quick checks
    (an estimate's ``instead`` too) and its self-assessment questions."""
    found = []
    for lesson in lessons.LESSONS:
        module = lesson_module(lesson)
        for asked in (*module.CHECKS, *module.ASSESSMENT):
            asked = asked.instead if isinstance(asked, Estimate) else asked
            if isinstance(asked, MultipleChoice):
                found.append(asked)
    return found


def test_neither_the_position_nor_the_length_of_an_option_gives_the_right_one_away():
    """A learner who always picks (b), or the longest option, must not do well: no letter holds the right answer in
    more than 45% of the questions, and the right option is the longest (ties included) in at most 40%."""
    asked = _every_multiple_choice()
    assert len(asked) >= 30, "every lesson's checks and self-assessment questions"
    for letter in "abc":
        share = sum(q.right_letter == letter for q in asked) / len(asked)
        assert share <= 0.45, f"({letter}) is the right answer in {share:.0%} of {len(asked)} questions"
    longest = [q.key for q in asked if len(q.option(q.right_letter).text) >= max(len(o.text) for o in q.options)]
    assert len(longest) / len(asked) <= 0.40, f"the right option is the longest in {len(longest)}: {longest}"


@pytest.mark.parametrize("correct", [0, 2])
def test_a_question_needs_exactly_one_right_option(correct):
    options = [Option(f"o{i}", i < correct, "why") for i in range(3)]
    with pytest.raises(QuickCheckError, match="exactly one correct"):
        MultipleChoice(key="99.x", prompt="?", options=tuple(options))


def test_estimate_verdicts_follow_the_tolerance_on_both_sides():
    estimate = Estimate(key="99.e", prompt="?", unit="s", truth=lambda m: 10.0, explanation="{guess:g} vs {truth:g}")
    assert estimate.evaluate(10.0).verdict == "close"
    assert estimate.evaluate(12.4).verdict == "close"
    assert estimate.evaluate(8.1).verdict == "close"
    assert estimate.evaluate(12.6).verdict == "too high"
    assert estimate.evaluate(7.9).verdict == "too low"
    assert estimate.evaluate(7.9).explanation.endswith("7.9 vs 10")
    for bad in ("ten", -1, 0, float("nan")):
        with pytest.raises(QuickCheckError):
            estimate.evaluate(bad)


def test_an_estimate_compares_with_what_this_run_measured():
    key = "00.first-experiment"
    assert check_answer(key, 10, k=1.0, r2=0.9).verdict == "close"
    assert check_answer(key, 10, k=0.5, r2=0.9).verdict == "too high"  # 10^0.5 ≈ 3.2 measured here
    feedback = check_answer(key, 1, k=0.5, r2=0.92)
    assert "3.16" in feedback.explanation and "0.92" in feedback.explanation and "Your estimate, 1," in str(feedback)
    with pytest.raises(QuickCheckError, match="pass k=..., r2=..."):
        check_answer(key, 10)


@pytest.mark.parametrize("measured", [{"k": -0.18, "r2": 0.95}, {"k": 1.0, "r2": 0.42}])
def test_an_estimate_the_lesson_called_inconclusive_asks_about_the_verdict_instead(measured):
    """Lesson 00 at `ci` can refuse a forecast (exponent <= 0, poor fit): its quick check must not then ask for one."""
    from scalingml.experiments.training_time import fit_problem

    key = "00.first-experiment"
    assert fit_problem(measured["k"], measured["r2"]), "the lesson prints 'inconclusive' for these"
    instead = question(key).asked(measured)
    assert isinstance(instead, MultipleChoice) and "inconclusive" in instead.prompt
    assert check_answer(key, instead.right_letter, **measured).correct
    with pytest.raises(QuickCheckError, match="not an option"):  # the refused forecast is not an answer
        check_answer(key, 10 ** measured["k"], **measured)
    panel = quick_check(key, **measured)
    assert panel.question is instead and "inconclusive" in repr(panel)
    assert question(key).asked({"k": 1.0, "r2": 0.99}) is question(key), "a usable fit keeps the estimate"


@pytest.mark.parametrize(
    ("measured", "message"),
    [
        ({"kk": 1.0, "r2": 0.9}, "takes k=..., r2=..., not kk"),
        ({"k": "one", "r2": 0.9}, "k must be a number"),
        ({"k": 1.0, "r2": 1.5}, "between 0 and 1, not 1.5"),
        ({"r2": 1.5, "k": 2.0}, "between 0 and 1, not 1.5"),  # the value named is r2's, not the last one read
        ({"k": float("nan"), "r2": 0.9}, "rerun the experiment"),
    ],
)
def test_a_wrong_measurement_is_named(measured, message):
    with pytest.raises(QuickCheckError, match=message):
        check_answer("00.first-experiment", 10, **measured)
    assert check_answer("00.first-experiment", 10, k="1.0", r2=0.9).correct  # a number as text is fine


@pytest.mark.parametrize(("key", "answer"), [("03.hardware-limits", 800), ("02.overfitting", "b")])
def test_a_check_without_measurements_refuses_one(key, answer):
    with pytest.raises(QuickCheckError, match="takes no measurement, not foo"):
        check_answer(key, answer, foo=3)


@pytest.mark.parametrize("estimate", ESTIMATES, ids=lambda q: q.key)
def test_every_estimate_formats_its_explanation_and_its_truth_is_inside_the_slider(estimate):
    measured = {name: MEASURED[name] for name in estimate.needs}
    truth = estimate.true_value(measured)
    assert estimate.low < truth < estimate.high
    assert check_answer(estimate.key, truth, **measured).correct
    assert not check_answer(estimate.key, truth * 3, **measured).correct


def test_an_unknown_key_lists_the_lessons_checks():
    with pytest.raises(QuickCheckError, match=r"02\.overfitting"):
        question("02.nope")


def test_the_panel_explains_the_chosen_option_when_check_is_clicked():
    panel = quick_check("05.bias")
    mcq = panel.question
    unaware = next(letter for letter, o in zip(mcq.letters, mcq.options, strict=True) if "unawareness" in o.why)
    panel.check.click()
    assert "Choose an answer first" in panel.feedback.value
    panel.answer.value = unaware
    panel.check.click()
    assert "Not quite" in panel.feedback.value and "unawareness" in panel.feedback.value
    panel.answer.value = mcq.right_letter
    panel.check.click()
    assert "Right" in panel.feedback.value


def test_the_estimate_panel_follows_the_slider_once_checked():
    panel = quick_check("00.first-experiment", k=1.0, r2=0.99)
    panel.answer.value = 100.0
    assert panel.feedback.value == ""  # nothing shown before the first check
    panel.check.click()
    assert "Too high" in panel.feedback.value
    panel.answer.value = 10.0
    assert "Close" in panel.feedback.value
    panel.answer.value = 9.0
    assert "Close" in panel.feedback.value
    with pytest.raises(QuickCheckError, match="pass k"):
        quick_check("00.first-experiment")


def test_headless_output_is_the_question_in_plain_text():
    bundle = quick_check("03.cost")._repr_mimebundle_()
    text = bundle["text/plain"]
    assert "Model A is 0.4 accuracy points better" in text
    assert all(f"({letter})" in text for letter in "abc")
    assert "check_answer('03.cost', a letter)" in text
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_markup_escapes_html_and_keeps_code():
    from scalingml.quickcheck.widget import markup

    assert markup("`a<b` **c**") == "<code>a&lt;b</code> <b>c</b>"


def _sections(notebook):
    """(heading, [code sources]) for each '## ' section except Keypoints."""
    sections = []
    for cell in notebook.cells:
        heading = re.match(r"## (.+)", cell.source) if cell.cell_type == "markdown" else None
        if heading:
            sections.append((heading.group(1), []))
        elif sections and cell.cell_type == "code":
            sections[-1][1].append(cell.source)
    return [(title, codes) for title, codes in sections if title != "Keypoints"]


def _quick_check_keys(source: str) -> list[str]:
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    return [
        call.args[0].value
        for call in calls
        if getattr(call.func, "id", None) == "quick_check" and call.args and isinstance(call.args[0], ast.Constant)
    ]


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=lambda lesson: lesson.name)
def test_every_lesson_section_closes_with_its_own_quick_check(lesson):
    used = []
    for title, codes in _sections(read(REPO / lesson.notebook)):
        keys = [key for source in codes for key in _quick_check_keys(source)]
        assert keys, f"{lesson.notebook}, section '{title}' has no quick check"
        used += keys
    assert sorted(used) == sorted(q.key for q in lesson_module(lesson).CHECKS), lesson.notebook

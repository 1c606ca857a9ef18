"""The quick check as an ipywidgets panel: the question, the choices (or a slider), a Check button, the feedback.

The panel works headless too: executed by CI or nbconvert it renders as the question in plain text with a line
saying how to answer without widgets (``check_answer``). Clicking is simulated in the tests with
``panel.check.click()``.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping

import ipywidgets as widgets

from scalingml.quickcheck.model import Estimate, Feedback, MultipleChoice, Question

_COLOURS = {True: "#1b7837", False: "#b35806"}


def markup(text: str) -> str:
    """Escape text for HTML and keep the two marks the questions use: `code` and **bold**."""
    escaped = html.escape(text)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", escaped)


def plain(text: str) -> str:
    """The text without its marks, for widgets that show plain text (radio-button labels)."""
    return text.replace("`", "").replace("**", "")


def feedback_html(feedback: Feedback) -> str:
    colour = _COLOURS[feedback.correct]
    more = "".join(f"<li>{markup(line)}</li>" for line in feedback.more)
    more_list = f"<ul style='margin:0.3em 0'>{more}</ul>" if more else ""
    return (
        f"<div style='border-left:4px solid {colour};padding-left:0.6em'>"
        f"<b style='color:{colour}'>{html.escape(feedback.verdict.capitalize())}.</b> "
        f"{markup(feedback.explanation)}{more_list}</div>"
    )


class QuickCheckPanel(widgets.VBox):
    """A VBox whose plain-text form (what a headless run stores) is the question itself."""

    def __init__(self, question: Question, measured: Mapping[str, float] | None = None) -> None:
        self.question = question
        self.measured = dict(measured or {})
        if isinstance(question, Estimate):
            question.true_value(self.measured)  # a missing measurement fails now, not at the first click
        asked = question.prompt if isinstance(question, MultipleChoice) else question.text()  # options: the buttons
        header = widgets.HTML(f"<b>Quick check.</b> {markup(asked)}")
        self.answer = self._answer_widget(question)
        self.check = widgets.Button(description="Check", button_style="primary", tooltip="Check your answer")
        self.feedback = widgets.HTML("")
        self.check.on_click(lambda _button: self.show())
        if isinstance(question, Estimate):  # once checked, moving the slider updates the feedback
            self.answer.observe(self._refresh, names="value")
        super().__init__([header, self.answer, self.check, self.feedback])
        self.add_class("scalingml-quickcheck")

    def _refresh(self, _change) -> None:
        """Show the feedback again for the new slider value, once the learner has checked."""
        if self.feedback.value:
            self.show()

    @staticmethod
    def _answer_widget(question: Question) -> widgets.Widget:
        if isinstance(question, MultipleChoice):
            labels = [
                (f"({letter}) {plain(option.text)}", letter)
                for letter, option in zip(question.letters, question.options, strict=True)
            ]
            return widgets.RadioButtons(options=labels, value=None, layout=widgets.Layout(width="auto"))
        start = question.start if question.start is not None else (question.low * question.high) ** 0.5
        style = {"description_width": "initial"}
        layout = widgets.Layout(width="32em")
        unit = question.unit or "estimate"
        if question.log:
            return widgets.FloatLogSlider(
                value=start,
                min=math.log10(question.low),
                max=math.log10(question.high),
                step=0.01,
                description=unit,
                readout_format=".3g",
                style=style,
                layout=layout,
            )
        return widgets.FloatSlider(
            value=start, min=question.low, max=question.high, description=unit, style=style, layout=layout
        )

    def show(self) -> None:
        """Evaluate the current answer and show the feedback (a prompt to choose when nothing is chosen)."""
        if self.answer.value is None:
            self.feedback.value = "<i>Choose an answer first.</i>"
            return
        self.feedback.value = feedback_html(self.question.evaluate(self.answer.value, self.measured))

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        answers = "a letter" if isinstance(self.question, MultipleChoice) else "a number"
        args = "".join(f", {name}=..." for name in self.measured)
        text = (
            f"Quick check ({self.question.key}). {self.question.text()}\n"
            f"Answer with the widget in JupyterLab, or with "
            f"check_answer({self.question.key!r}, {answers}{args})."
        )
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle[0]["text/plain"] = text
        elif bundle is not None:
            bundle["text/plain"] = text
        return bundle

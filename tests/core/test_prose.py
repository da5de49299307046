"""Prose stage answers: the text a model meant, or a reason why the answer is not prose."""

from __future__ import annotations

import pytest

from imageworks_gui.core.prose import ProseError, prose_from_answer, prose_warning


@pytest.mark.parametrize(("answer", "expected"), [
    ('"A dog on a beach."', "A dog on a beach."),
    ("<think>let me see</think>\nA dog on a beach.", "A dog on a beach."),
    ('```json\n{"caption": "A dog on a beach."}\n```', "A dog on a beach."),
    ("  A dog on a beach.  ", "A dog on a beach."),
    ('{"confidence": "high", "caption": "Caf\\u00e9 terrace"}', "Café terrace"),
    ('{"result": {"text": "Caf\\u00e9 terrace"}}', "Café terrace"),
    ('Sure! {"caption": "A caf\\u00e9"}', "A café"),
    ("A caf\\u00e9 at dusk \\ud83c\\udf06", "A café at dusk 🌆"),
    ("[Untitled] A dog on a beach", "[Untitled] A dog on a beach"),
    ('Signs say, "Open": welcome in.', 'Signs say, "Open": welcome in.'),
])
def test_caption_text_is_extracted_and_escapes_decoded(answer, expected):
    assert prose_from_answer(answer, "caption") == expected


@pytest.mark.parametrize(("answer", "reason"), [
    ('{"description": "Caf\\u00e9 on a squa', "broken JSON"),
    ('{"objects": ["cup", "table"], "count": 2}', "no description text"),
    ('[1, 2, 3]', "no description text"),
    ("```python\nprint('hi')", "code fence"),
    ('Here: {"objects": ["cup"], "count": 2}', "mixes prose with JSON"),
    ("null", "JSON null"),
    ("```json\nnull\n```", "JSON null"),
])
def test_data_instead_of_prose_is_refused_with_the_reason(answer, reason):
    with pytest.raises(ProseError, match=reason):
        prose_from_answer(answer, "description")


def test_a_lone_surrogate_escape_never_reaches_the_text():
    text = prose_from_answer("broken \\ud83d emoji", "caption")
    assert "\\u" not in text and text.encode("utf-8")


@pytest.mark.parametrize(("text", "flagged"), [
    ("A quiet harbour at dawn.", False),
    ('{"caption": "x"}', True),
    ("A caf\\u00e9", True),
    ("```\nA harbour\n```", True),
    ('The sign reads "a": fine', False),
    ('Signs say, "Open": welcome in.', False),
    ('Here it is: {"caption": "x"}', True),
    ("[Untitled] A harbour", False),
    ('["a", "b"]', True),
    ("<think>hmm</think> A harbour", True),
    (None, False),
])
def test_prose_warning_marks_code_and_data(text, flagged):
    assert (prose_warning(text) is not None) is flagged

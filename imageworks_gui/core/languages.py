"""Output languages a prompt profile can ask for: ISO 639-1 codes and the names told to models."""

from __future__ import annotations

LANGUAGES: dict[str, str] = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "da": "Danish", "sv": "Swedish", "nb": "Norwegian Bokmal",
    "no": "Norwegian", "fi": "Finnish", "is": "Icelandic", "pl": "Polish", "cs": "Czech",
    "sk": "Slovak", "sl": "Slovenian", "hr": "Croatian", "hu": "Hungarian", "ro": "Romanian",
    "tr": "Turkish", "el": "Greek", "ru": "Russian", "uk": "Ukrainian", "ja": "Japanese",
    "zh": "Chinese", "ko": "Korean", "ca": "Catalan", "et": "Estonian", "lv": "Latvian",
    "lt": "Lithuanian",
}
"""Supported output languages (code -> English name, as written in the model instruction)."""

DEFAULT_LANGUAGE = "en"


def language_problem(code: str) -> str | None:
    """Why ``code`` is not a supported output language, or None when it is."""
    if code in LANGUAGES:
        return None
    hint = f" (did you mean {code.lower()!r}?)" if code.lower() in LANGUAGES else ""
    return (f"unknown language code {code!r}{hint}; use a two-letter ISO 639-1 code: "
            f"{', '.join(sorted(LANGUAGES))}")


def language_instruction(code: str) -> str:
    """The sentence added to every stage's system prompt for a non-English profile."""
    name = LANGUAGES[code]
    return (f"Write every caption, description and keyword in {name} ({code}), whatever "
            f"language these instructions or the photo use.")

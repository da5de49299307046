"""Vocabulary file formats: Lightroom keyword exports, the text format, photo keywords."""

from __future__ import annotations

import pytest

from imageworks_gui.core.vocabulary import Vocabulary, VocabularyTerm, render_tree
from imageworks_gui.core.vocabulary_formats import (
    VocabularyParseError,
    decode_vocabulary,
    parse_lightroom,
    parse_text,
    parse_vocabulary,
    terms_from_photo_keywords,
)

LIGHTROOM = (
    "[Animals]\n"
    "\tBirds\n"
    "\t\tGrey heron\n"
    "\t\t\t{heron}\n"
    "\t\t\t{Ardea cinerea}\n"
    "\t\tRobin\n"
    "\tMammals\n"
    "\t\t[Cats]\n"
    "\t\t\tJaguar\n"
    "\n"
    "Places\n"
    "\t~Europe\n"
    "\t\tZürich  \n"
    "\t\t\t{Zurich}\n"
    "Cars\n"
    "\tJaguar\n"
    "\tAC/DC tour bus\n"
)


def by_path(terms: list[VocabularyTerm]) -> dict[str, VocabularyTerm]:
    return {t.lr_path: t for t in terms}


def test_lightroom_export_hierarchy_synonyms_and_markers():
    terms = by_path(parse_lightroom(LIGHTROOM))
    assert list(terms) == [
        "Animals", "Animals|Birds", "Animals|Birds|Grey heron", "Animals|Birds|Robin",
        "Animals|Mammals", "Animals|Mammals|Cats", "Animals|Mammals|Cats|Jaguar",
        "Places", "Places|Europe", "Places|Europe|Zürich", "Cars", "Cars|Jaguar",
        "Cars|AC/DC tour bus"]
    assert terms["Animals|Birds|Grey heron"].synonyms == ("heron", "Ardea cinerea")
    assert terms["Places|Europe|Zürich"].synonyms == ("Zurich",)
    # [brackets]: Include on Export off -> kept in the hierarchy, never proposed
    assert not terms["Animals"].assignable and not terms["Animals|Mammals|Cats"].assignable
    assert terms["Animals|Mammals|Cats|Jaguar"].assignable and terms["Animals|Birds"].assignable
    # ~ (keep order) is dropped from the name
    assert terms["Places|Europe"].assignable and terms["Places|Europe"].synonyms == ()


def test_lightroom_file_with_bom_and_crlf_parses_like_plain_utf8():
    data = b"\xef\xbb\xbf" + LIGHTROOM.replace("\n", "\r\n").encode("utf-8")
    fmt, terms = parse_vocabulary(data)
    assert fmt == "lightroom"
    assert terms == parse_lightroom(LIGHTROOM)
    assert all("\r" not in name and "\ufeff" not in name for t in terms for name in t.path)


def test_old_mac_cr_line_endings_are_lines():
    assert decode_vocabulary(b"a\rb\r\nc\n") == "a\nb\nc\n"


@pytest.mark.parametrize(("text", "line", "words"), [
    ("Animals\n    Birds\n", 2, "spaces"),
    ("Animals\n\t Birds\n", 2, "spaces"),
    ("Animals\n \tBirds\n", 2, "spaces"),
    ("{heron}\nBirds\n", 1, "no keyword"),
    ("Birds\n{heron}\n", 2, "no keyword"),
    ("Birds\n\t\t{heron}\n", 2, "no keyword"),
    ("Animals\n\t\tBirds\n", 2, "at most one tab deeper"),
    ("Animals\n\tFish|Carp\n", 2, "'|' separates levels"),
    ("Animals\n\t{}\n", 2, "empty"),
    ("[]\n", 1, "empty"),
    ("Animals\n\tBi\x00rds\n", 2, "control"),
])
def test_lightroom_errors_name_the_line(text, line, words):
    with pytest.raises(VocabularyParseError) as info:
        parse_lightroom(text)
    assert info.value.line == line
    assert words in str(info.value)
    assert str(info.value).startswith(f"line {line}: ")


def test_non_utf8_file_reports_line_and_column_and_how_to_fix():
    data = b"Animals\n\tBirds\n\t\tCaf" + b"\xe9\n"
    with pytest.raises(VocabularyParseError) as info:
        parse_vocabulary(data)
    assert info.value.line == 3
    assert "0xE9 at column 6 is not UTF-8" in str(info.value) and "iconv" in str(info.value)


@pytest.mark.parametrize("bom", [b"\xff\xfe", b"\xfe\xff"])
def test_utf16_file_is_refused_with_advice(bom):
    with pytest.raises(VocabularyParseError, match="UTF-16; save it as UTF-8"):
        parse_vocabulary(bom + "Birds\n".encode("utf-16-le"))


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"# only a comment\n"])
def test_empty_file_is_an_error(data):
    with pytest.raises(VocabularyParseError, match="holds no keywords"):
        parse_vocabulary(data, "text")


def test_text_format_levels_synonyms_comments_and_containers():
    text = (
        "# my list\n"
        "Animals|Birds|Grey heron = heron = Ardea cinerea\n"
        "  Places / Europe / Zürich = Zurich  \n"
        "\n"
        "[People]|Anna\n"
        "Studio|[Backdrops]\n"
        "sunset\n"
        "Animals|Birds|Grey heron = egret\n"
    )
    terms = by_path(parse_text(text))
    assert list(terms) == ["Animals", "Animals|Birds", "Animals|Birds|Grey heron", "Places",
                           "Places|Europe", "Places|Europe|Zürich", "People", "People|Anna",
                           "Studio", "Studio|Backdrops", "sunset"]
    assert terms["Animals|Birds|Grey heron"].synonyms == ("heron", "Ardea cinerea", "egret")
    assert terms["Places|Europe|Zürich"].synonyms == ("Zurich",)
    assert not terms["People"].assignable and terms["People|Anna"].assignable
    assert not terms["Studio|Backdrops"].assignable and terms["Studio"].assignable


def test_text_format_escapes():
    terms = by_path(parse_text("Music|AC\\/DC = AC\\/DC band\n\\#hashtag\nMaths|1\\=1\n"
                               "Paths|C:\\\\temp\n"))
    assert terms["Music|AC/DC"].synonyms == ("AC/DC band",)
    assert "#hashtag" in terms and "Maths|1=1" in terms and "Paths|C:\\temp" in terms


@pytest.mark.parametrize(("text", "words"), [
    ("Animals|Birds/Heron\n", "mixes '|' and '/'"),
    ("Animals||Heron\n", "empty level"),
    ("|Animals\n", "empty level"),
    ("Animals/\n", "empty level"),
    ("Animals\\nBirds\n", "unknown escape '\\n'"),
    ("Fish\\|Carp\n", "'\\|' cannot be used"),
    ("Heron =  = egret\n", "empty synonym"),
    ("Heron = Birds/egret\n", "synonym cannot have levels"),
    ("Heron\tgrey\n", "control"),
])
def test_text_format_errors_name_the_line(text, words):
    with pytest.raises(VocabularyParseError) as info:
        parse_text("ok\n" + text)
    assert info.value.line == 2
    assert words in str(info.value)


def test_auto_detects_lightroom_by_tabs_or_markers_and_text_otherwise():
    assert parse_vocabulary(b"Animals\n\tBirds\n")[0] == "lightroom"
    assert parse_vocabulary(b"[People]\n")[0] == "lightroom"
    fmt, terms = parse_vocabulary(b"Animals/Birds\n")
    assert fmt == "text" and [t.lr_path for t in terms] == ["Animals", "Animals|Birds"]
    # The same file read as Lightroom keeps the slash inside one keyword
    assert [t.lr_path for t in parse_vocabulary(b"Animals/Birds\n", "lightroom")[1]] == [
        "Animals/Birds"]


def test_unknown_format_is_an_error():
    with pytest.raises(ValueError, match="unknown vocabulary format 'csv'"):
        parse_vocabulary(b"a\n", "csv")


def test_vocabulary_from_keywords_already_in_photos():
    terms, notes = terms_from_photo_keywords(
        subjects=["Grey heron", "sunset", "Sunset", "  ", "a|b"],
        hierarchical=["Animals|Birds|Grey heron", "Places|Europe|Zürich", "x||y"],
        tags_list=["Places/Europe/Zürich", "Places", "Events/Wedding"],
    )
    assert [t.lr_path for t in terms] == [
        "Animals", "Animals|Birds", "Animals|Birds|Grey heron", "Places", "Places|Europe",
        "Places|Europe|Zürich", "Events", "Events|Wedding", "sunset"]
    assert len(notes) == 3
    assert "lr:hierarchicalSubject value 'x||y' skipped" in notes[0]
    assert "dc:subject value '  ' skipped" in notes[1]
    assert "dc:subject value 'a|b' skipped" in notes[2]


def test_render_tree_shows_containers_and_synonyms():
    vocabulary = Vocabulary(name="lr", format="lightroom", terms=parse_lightroom(LIGHTROOM))
    lines = render_tree(vocabulary)
    assert lines[:7] == ["[Animals]", "  Birds", "    Grey heron", "      {heron}",
                         "      {Ardea cinerea}", "    Robin", "  Mammals"]
    assert "Cars" in lines and "  AC/DC tour bus" in lines


def test_absurd_depth_and_length_are_refused_not_crashing():
    deep = "".join("\t" * i + f"level{i}\n" for i in range(40))
    with pytest.raises(VocabularyParseError) as info:
        parse_lightroom(deep)
    assert info.value.line == 33 and "at most 32 levels" in str(info.value)
    with pytest.raises(VocabularyParseError, match="at most 32 levels"):
        parse_text("|".join(f"l{i}" for i in range(33)) + "\n")
    assert len(parse_text("|".join(f"l{i}" for i in range(32)) + "\n")) == 32
    with pytest.raises(VocabularyParseError, match="at most 255 characters"):
        parse_text("x" * 256 + "\n")
    terms, notes = terms_from_photo_keywords(hierarchical=["|".join("a" * 40)])
    assert terms == [] and "more than 32 levels" in notes[0]

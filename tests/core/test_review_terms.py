"""A review's vocabulary side: the new-terms lane, mapped chips, and saved reviews old and new."""

from __future__ import annotations

from imageworks_gui.core import review as rv
from imageworks_gui.core.review import PhotoReview
from imageworks_gui.core.review_terms import lane_chips, mapping_of, mapping_tooltip
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.core.vocabulary import Vocabulary
from imageworks_gui.core.vocabulary_formats import parse_text
from imageworks_gui.core.vocabulary_mapping import VocabularyMapper, VocabularyPolicy
from imageworks_gui.services.review_store import ReviewStore

VOCAB = Vocabulary(name="nature", format="text",
                   terms=parse_text("[Animals]|Birds|Grey heron = heron\nPlaces|Lake\n"))
SAID = ["herons", "Lake", "fog bank", "reflection", "Fog Bank"]


def tagged(mode: str, existing: list[str] | None = None) -> PhotoReview:
    result = TagResult(path="/p/IMG[/x] é.jpg", status="ok", keywords=list(SAID))
    VocabularyPolicy(VocabularyMapper([VOCAB]), mode).apply_to(result)  # type: ignore[arg-type]
    review = PhotoReview(path=result.path, state="queued")
    if existing is not None:
        review = rv.set_existing(review, None, None, existing)
    return rv.apply_result(review, result)


def test_suggest_mode_puts_new_terms_in_their_own_lane_proposed():
    review = tagged("suggest")
    assert review.chips() == [("Grey heron", "new"), ("Lake", "new")]
    assert lane_chips(review) == [("fog bank", "new"), ("reflection", "new")]
    assert review.accepted_keywords == ["Grey heron", "Lake", "fog bank", "reflection"]
    rejected = rv.reject_keyword(review, "fog bank")
    assert lane_chips(rejected)[0] == ("fog bank", "removed")
    assert "fog bank" not in rejected.accepted_keywords


def test_strict_mode_offers_new_terms_without_proposing_them():
    review = tagged("strict")
    assert review.accepted_keywords == ["Grey heron", "Lake"]
    assert lane_chips(review) == [("fog bank", "available"), ("reflection", "available")]
    accepted = rv.add_keyword(review, "fog bank")
    assert lane_chips(accepted)[0] == ("fog bank", "added")
    assert accepted.accepted_keywords == ["Grey heron", "Lake", "fog bank"]
    assert ("fog bank", "added") not in accepted.chips()  # shown once, in the lane


def test_a_new_term_the_photo_already_has_stays_with_its_keywords():
    review = tagged("strict", existing=["Fog bank"])
    assert ("Fog bank", "existing") in review.chips()
    assert lane_chips(review) == [("reflection", "available")]


def test_mapped_keywords_say_where_they_sit_and_how_they_mapped():
    review = tagged("suggest")
    heron = mapping_of(review, "grey HERON")
    assert heron is not None
    assert mapping_tooltip(heron).splitlines() == [
        "In your vocabulary 'nature': Animals|Birds|Grey heron",
        "Mapped by normalized on 'heron'; the model said 'herons'"]
    fog = mapping_of(review, "fog bank")
    assert fog is not None and not fog.in_vocabulary
    assert mapping_of(review, "not there") is None


def test_reviews_saved_before_vocabularies_still_load(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGEWORKS_DATA_DIR", str(tmp_path / "data"))
    store = ReviewStore(tmp_path / "p")
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text('{"path": "/p/1.jpg", "state": "proposed", '
                          '"proposed_keywords": ["fog", "lake"]}\n', encoding="utf-8")
    old = store.load()[0]
    assert old.keyword_mapping == [] and lane_chips(old) == []
    assert old.chips() == [("fog", "new"), ("lake", "new")]
    store.append([tagged("strict")])
    again = ReviewStore(tmp_path / "p").load()
    restored = next(r for r in again if r.path == "/p/IMG[/x] é.jpg")
    assert lane_chips(restored) == [("fog bank", "available"), ("reflection", "available")]
    assert mapping_of(restored, "Grey heron").path == ("Animals", "Birds", "Grey heron")

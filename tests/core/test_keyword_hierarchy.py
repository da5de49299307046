"""Hierarchical keywords in a plan: the path in both hierarchy fields, leaf and ancestors flat."""

from __future__ import annotations

from imageworks_gui.core import review as rv
from imageworks_gui.core.keyword_paths import proposal_keywords
from imageworks_gui.core.metadata import ChangePlan, PhotoMetadata, Proposal, Tag, plan_changes
from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.core.vocabulary import KeywordMapping, Vocabulary
from imageworks_gui.core.vocabulary_formats import parse_vocabulary
from imageworks_gui.core.vocabulary_mapping import VocabularyMapper, VocabularyPolicy

SETTINGS = MetadataSettings()
LIGHTROOM = "[People]\n\tFamily\n\t\tAnna\n\t\t\t{Annie}\nAnimals\n\tBirds\n\t\tGrey heron\n"


def photo(values: dict[str, object], **fields: object) -> PhotoMetadata:
    defaults: dict[str, object] = {"size": 10, "mtime_ns": 5, "has_xmp": bool(values)}
    return PhotoMetadata.from_tags("/p/a.jpg", "/p/a.jpg", values, **{**defaults, **fields})


def edits(plan: ChangePlan) -> dict[str, object]:
    return {edit.tag: edit.after for edit in plan.edits}


def plan(original: PhotoMetadata, *keywords: str, containers: tuple[str, ...] = (),
         settings: MetadataSettings = SETTINGS) -> ChangePlan:
    return plan_changes(original, Proposal(path="/p/a.jpg", keywords=list(keywords),
                                           containers=list(containers)), settings)


def mapped(*proposed: str) -> TagResult:
    fmt, terms = parse_vocabulary(LIGHTROOM.encode("utf-8"), "lightroom")
    vocabulary = Vocabulary(name="lr", format=fmt, terms=terms)
    result = TagResult(path="/p/a.jpg", status="ok", keywords=list(proposed))
    VocabularyPolicy(VocabularyMapper([vocabulary])).apply_to(result)
    return result


def test_mapping_records_container_ancestors_and_the_proposal_gets_full_paths():
    result = mapped("annie", "grey herons", "sunset")
    by_said = {m.proposed: m for m in result.keyword_mapping or []}
    assert by_said["annie"].path == ("People", "Family", "Anna")
    assert by_said["annie"].containers == ("People",)
    assert by_said["grey herons"].containers == ()
    assert result.keywords == ["Anna", "Grey heron", "sunset"]  # the JSONL keeps the names
    keywords, containers = proposal_keywords(result.keywords, result.keyword_mapping)
    assert keywords == ["People|Family|Anna", "Animals|Birds|Grey heron", "sunset"]
    assert containers == ["People"]


def test_containers_stay_out_of_flat_fields_and_ancestors_follow_the_setting():
    keywords, containers = proposal_keywords(*_names_and_mapping())
    original = photo({}, has_iptc=True)
    proposal = Proposal(path="/p/a.jpg", keywords=keywords, containers=containers)
    tags = edits(plan_changes(original, proposal, SETTINGS))
    assert tags[Tag.SUBJECT] == ["Family", "Anna", "Animals", "Birds", "Grey heron"]
    assert tags[Tag.IPTC_KEYWORDS] == tags[Tag.SUBJECT]
    assert tags[Tag.HIERARCHICAL] == ["People|Family|Anna", "Animals|Birds|Grey heron"]
    assert tags[Tag.TAGS_LIST] == ["People/Family/Anna", "Animals/Birds/Grey heron"]
    leaf_only = edits(plan_changes(original, proposal,
                                   MetadataSettings(write_ancestor_keywords=False)))
    assert leaf_only[Tag.SUBJECT] == ["Anna", "Grey heron"]
    assert leaf_only[Tag.IPTC_KEYWORDS] == ["Anna", "Grey heron"]
    assert leaf_only[Tag.HIERARCHICAL] == tags[Tag.HIERARCHICAL]  # the paths stay whole


def _names_and_mapping() -> tuple[list[str], list[KeywordMapping] | None]:
    result = mapped("annie", "grey herons")
    return result.keywords, result.keyword_mapping


def test_prefix_is_an_ancestor_too():
    settings = MetadataSettings(hierarchy_prefix="AI", write_ancestor_keywords=False)
    tags = edits(plan(photo({}), "tree", settings=settings))
    assert tags[Tag.SUBJECT] == ["tree"]
    assert tags[Tag.HIERARCHICAL] == ["AI|tree"] and tags[Tag.TAGS_LIST] == ["AI/tree"]


def test_existing_hierarchy_is_kept_extended_case_insensitively_and_its_spelling_wins():
    original = photo({Tag.SUBJECT: ["Places", "Europe", "Switzerland", "sunset"],
                      Tag.HIERARCHICAL: ["Places|Europe|Switzerland", "sunset"],
                      Tag.TAGS_LIST: ["Places/Europe/Switzerland", "sunset"]})
    result = plan(original, "places|europe|France", "PLACES|EUROPE|SWITZERLAND", "SUNSET", "dog")
    tags = edits(result)
    assert tags[Tag.HIERARCHICAL] == ["Places|Europe|Switzerland", "sunset",
                                      "Places|Europe|France", "dog"]
    assert tags[Tag.TAGS_LIST] == ["Places/Europe/Switzerland", "sunset",
                                   "Places/Europe/France", "dog"]
    assert tags[Tag.SUBJECT] == ["Places", "Europe", "Switzerland", "sunset", "France", "dog"]
    hierarchical = next(e for e in result.edits if e.tag == Tag.HIERARCHICAL)
    assert hierarchical.mode == "add" and hierarchical.items == ["Places|Europe|France", "dog"]
    assert plan(original, "Places|Europe|Switzerland", "Sunset").is_empty


def test_a_new_hierarchy_field_also_holds_what_the_photo_had():
    # darktable reads only lr:hierarchicalSubject, digiKam and Immich only TagsList, once there.
    original = photo({Tag.SUBJECT: ["Harbour", "Birds", "darktable|format|nef"],
                      Tag.TAGS_LIST: ["Trips/Brittany"]})
    tags = edits(plan(original, "Animals|Birds|Heron"))
    assert tags[Tag.HIERARCHICAL] == ["Trips|Brittany", "Harbour", "Animals|Birds|Heron"]
    # The photo's TagsList is only extended: digiKam wrote it complete already.
    assert tags[Tag.TAGS_LIST] == ["Trips/Brittany", "Animals/Birds/Heron"]
    created = edits(plan(photo({Tag.SUBJECT: ["Harbour", "Birds"],
                                Tag.HIERARCHICAL: ["Trips|Brittany"]}), "Animals|Birds|Heron"))
    assert created[Tag.TAGS_LIST] == ["Trips/Brittany", "Harbour", "Animals/Birds/Heron"]


def test_flat_keywords_join_an_existing_hierarchy_field_only_as_new_ones():
    original = photo({Tag.SUBJECT: ["Boat"], Tag.HIERARCHICAL: ["Trips|Brittany"]})
    tags = edits(plan(original, "boat", "sea"))
    assert tags[Tag.HIERARCHICAL] == ["Trips|Brittany", "sea"]
    assert Tag.TAGS_LIST not in tags  # no path proposed: no new field
    assert Tag.HIERARCHICAL not in edits(plan(photo({Tag.SUBJECT: ["Boat"]}), "sea"))


def test_a_slash_in_a_level_is_kept_for_lightroom_and_left_out_of_tags_list():
    original = photo({Tag.TAGS_LIST: ["Music/Jazz"], Tag.HIERARCHICAL: ["Music|Jazz"]})
    result = plan(original, "Music|AC/DC", "Music|Blues", "24/7")
    tags = edits(result)
    assert tags[Tag.HIERARCHICAL] == ["Music|Jazz", "Music|AC/DC", "Music|Blues", "24/7"]
    assert tags[Tag.TAGS_LIST] == ["Music/Jazz", "Music/Blues"]
    assert "AC/DC" in tags[Tag.SUBJECT] and "24/7" in tags[Tag.SUBJECT]  # type: ignore
    notes = [n for n in result.notes if "digiKam:TagsList" in n]
    assert len(notes) == 2 and "'Music|AC/DC'" in notes[0] and "no escape" in notes[0]
    assert "'24/7'" in notes[1]


def test_no_tags_list_is_created_that_would_hide_a_slash_from_immich():
    tags_and_notes = plan(photo({Tag.SUBJECT: ["sunset"]}), "Music|AC/DC")
    tags = edits(tags_and_notes)
    assert tags[Tag.HIERARCHICAL] == ["sunset", "Music|AC/DC"]
    assert Tag.TAGS_LIST not in tags
    assert any(n.startswith("digiKam:TagsList not created: 'Music|AC/DC'")
               for n in tags_and_notes.notes)


def test_hand_edited_results_keep_working_without_or_beside_the_mapping():
    _names, mapping = _names_and_mapping()
    # The reviewer removed "Anna", added "Birds|Owl" and "kite": only Grey heron has a path.
    keywords, containers = proposal_keywords(["grey HERON", "Birds|Owl", "kite"], mapping)
    assert (keywords, containers) == (["Animals|Birds|Grey heron", "Birds|Owl", "kite"], [])
    assert proposal_keywords(["a", "b"], None) == (["a", "b"], [])
    twice = [KeywordMapping(proposed="anna", keyword="Anna", method="exact",
                            path=("Family", "Anna")),
             KeywordMapping(proposed="anna f", keyword="Anna", method="fuzzy",
                            path=("Friends", "Anna")),
             KeywordMapping(proposed="x|y", keyword="", method="refused", reason="split")]
    assert proposal_keywords(["Anna", "Anna"], twice)[0] == ["Family|Anna", "Friends|Anna"]
    # A hand-edited path with "|" inside a level, or an empty level, is not trusted.
    edited = [KeywordMapping(proposed="owl", keyword="Owl", method="exact",
                             path=("Birds|Night", "Owl")),
              KeywordMapping(proposed="kite", keyword="kite", method="exact", path=("", "kite"))]
    assert proposal_keywords(["Owl", "kite"], edited) == (["Owl", "kite"], [])


def test_review_approval_writes_the_mapped_paths_of_kept_keywords_only():
    result = mapped("annie", "grey herons", "sunset")
    review = rv.apply_result(rv.PhotoReview(path="/p/a.jpg", state="queued"), result)
    review = rv.approve(rv.reject_keyword(review, "Grey heron"))
    proposal = rv.to_proposal(review)
    assert proposal.keywords == ["People|Family|Anna", "sunset"]
    assert proposal.containers == ["People"]
    tags = edits(plan_changes(photo({}), proposal, SETTINGS))
    assert tags[Tag.SUBJECT] == ["Family", "Anna", "sunset"]

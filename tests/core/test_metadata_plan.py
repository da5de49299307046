"""The pure change planner: merge rules a photographer relies on (no ExifTool needed)."""

from __future__ import annotations

from imageworks_gui.core.metadata import (
    ChangePlan,
    PhotoMetadata,
    Proposal,
    Provenance,
    Tag,
    plan_changes,
)
from imageworks_gui.core.settings import MetadataSettings

SETTINGS = MetadataSettings()


def photo(values: dict[str, object], **fields: object) -> PhotoMetadata:
    defaults: dict[str, object] = {"size": 10, "mtime_ns": 5, "has_xmp": bool(values)}
    return PhotoMetadata.from_tags("/p/a.jpg", "/p/a.jpg", values, **{**defaults, **fields})


def edits(plan: ChangePlan) -> dict[str, object]:
    return {edit.tag: edit.after for edit in plan.edits}


def test_keywords_union_is_case_insensitive_nfc_and_keeps_user_spelling():
    # "Cafe\u0301" is the decomposed spelling of "Café": the same keyword after NFC.
    original = photo({Tag.SUBJECT: ["Café", "Zürich", "Tree"]})
    proposal = Proposal(path="/p/a.jpg", keywords=["cafe\u0301", "ZÜRICH", "tree", "東京",
                                                   "東京", "  new   york "])
    plan = plan_changes(original, proposal, SETTINGS)
    assert edits(plan)[Tag.SUBJECT] == ["Café", "Zürich", "Tree", "東京", "new york"]
    assert plan.added_keywords == ["東京", "new york"]
    subject = next(e for e in plan.edits if e.tag == Tag.SUBJECT)
    assert subject.mode == "add" and subject.items == ["東京", "new york"]


def test_nothing_new_means_empty_plan_and_no_provenance():
    original = photo({Tag.SUBJECT: ["Tree"], Tag.TITLE: "Old"})
    proposal = Proposal(path="/p/a.jpg", title="New", keywords=["tree"],
                        provenance=Provenance(models={"caption": "m"}))
    plan = plan_changes(original, proposal, SETTINGS)
    assert plan.is_empty and plan.edits == []
    assert plan.notes == ["title: the photo has one already, kept (approve an overwrite to "
                          "replace it)"]


def test_title_and_description_only_when_empty_unless_overwrite_approved():
    original = photo({Tag.TITLE: "Mine", Tag.DESCRIPTION: ""})
    proposal = Proposal(path="/p/a.jpg", title="Theirs", description="Line 1\r\nLine 2  ")
    plan = plan_changes(original, proposal, SETTINGS)
    assert Tag.TITLE not in edits(plan)
    assert edits(plan)[Tag.DESCRIPTION] == "Line 1\nLine 2"
    approved = proposal.model_validate({**proposal.model_dump(), "overwrite_title": True})
    assert edits(plan_changes(original, approved, SETTINGS))[Tag.TITLE] == "Theirs"
    by_setting = MetadataSettings(overwrite_title=True)
    assert edits(plan_changes(original, proposal, by_setting))[Tag.TITLE] == "Theirs"


def test_iptc_and_exif_updated_only_where_they_exist():
    xmp_only = photo({Tag.SUBJECT: ["a"]})
    proposal = Proposal(path="/p/a.jpg", title="T", description="D", keywords=["b"])
    tags = edits(plan_changes(xmp_only, proposal, SETTINGS))
    assert not any(tag.startswith(("IPTC:", "IFD0:")) for tag in tags)

    legacy = photo({Tag.IPTC_KEYWORDS: ["Legacy"]}, has_iptc=True, has_exif=True)
    tags = edits(plan_changes(legacy, proposal, SETTINGS))
    assert tags[Tag.IPTC_KEYWORDS] == ["Legacy", "b"]
    assert tags[Tag.IPTC_CHARSET] == "UTF8"
    assert tags[Tag.IPTC_TITLE] == "T" and tags[Tag.IPTC_CAPTION] == "D"
    assert tags[Tag.EXIF_DESCRIPTION] == "D"
    # IPTC-only keywords are copied into XMP so XMP-first readers keep showing them.
    assert tags[Tag.SUBJECT] == ["Legacy", "b"]


def test_keyword_longer_than_iptc_limit_stays_in_xmp_with_a_note():
    legacy = photo({Tag.IPTC_KEYWORDS: ["x"]}, has_iptc=True)
    long_keyword = "ü" * 40  # 80 bytes in UTF-8
    plan = plan_changes(legacy, Proposal(path="/p/a.jpg", keywords=[long_keyword, "ok"]),
                        SETTINGS)
    assert long_keyword in edits(plan)[Tag.SUBJECT]
    assert edits(plan)[Tag.IPTC_KEYWORDS] == ["x", "ok"]
    assert any("64 bytes" in note and "XMP only" in note for note in plan.notes)


def test_long_caption_is_shortened_on_a_character_boundary_for_iptc_only():
    legacy = photo({}, has_iptc=True)
    text = "東" * 1000  # 3000 bytes
    plan = plan_changes(legacy, Proposal(path="/p/a.jpg", description=text), SETTINGS)
    assert edits(plan)[Tag.DESCRIPTION] == text
    iptc = edits(plan)[Tag.IPTC_CAPTION]
    assert isinstance(iptc, str) and len(iptc.encode()) <= 2000 and text.startswith(iptc)
    assert any("2000 bytes" in note for note in plan.notes)


def test_hierarchy_prefix_adds_paths_and_every_component_flat():
    settings = MetadataSettings(hierarchy_prefix="AI")
    original = photo({Tag.HIERARCHICAL: ["Places|Europe"], Tag.SUBJECT: ["Places", "Europe"]})
    plan = plan_changes(original, Proposal(path="/p/a.jpg", keywords=["tree", "europe"]),
                        settings)
    # Only new keywords go under the prefix: "europe" is already the user's "Europe".
    assert edits(plan)[Tag.HIERARCHICAL] == ["Places|Europe", "AI|tree"]
    assert edits(plan)[Tag.SUBJECT] == ["Places", "Europe", "AI", "tree"]


def test_hierarchy_is_off_by_default_and_pipe_keywords_are_paths():
    plan = plan_changes(photo({}), Proposal(path="/p/a.jpg", keywords=["Places|France|Paris"]),
                        SETTINGS)
    assert edits(plan)[Tag.HIERARCHICAL] == ["Places|France|Paris"]
    assert edits(plan)[Tag.SUBJECT] == ["Places", "France", "Paris"]
    plain = plan_changes(photo({}), Proposal(path="/p/a.jpg", keywords=["tree"]), SETTINGS)
    assert Tag.HIERARCHICAL not in edits(plain)


def test_digikam_tags_list_is_extended_when_present():
    original = photo({Tag.TAGS_LIST: ["People/Anna"], Tag.SUBJECT: ["Anna"]})
    settings = MetadataSettings(hierarchy_prefix="AI")
    plan = plan_changes(original, Proposal(path="/p/a.jpg", keywords=["anna", "dog"]), settings)
    assert edits(plan)[Tag.TAGS_LIST] == ["People/Anna", "AI/dog"]


def test_provenance_recorded_in_our_namespace_by_default_and_optional():
    provenance = Provenance(tool="imageworks 0.1.0", prompt_profile="default",
                            prompt_sha256="ab" * 32, models={"keywords": "qwen"},
                            model_hashes={"keywords": "cd" * 32}, tagged_at="2026-01-01T00:00Z")
    proposal = Proposal(path="/p/a.jpg", keywords=["tree"], provenance=provenance)
    tags = edits(plan_changes(photo({}), proposal, SETTINGS))
    assert tags[Tag.PROV_MODELS] == ["keywords=qwen"]
    assert tags[Tag.PROV_ADDED_KEYWORDS] == ["tree"]
    assert tags[Tag.PROV_PROMPT_SHA256] == "ab" * 32
    off = edits(plan_changes(photo({}), proposal, MetadataSettings(write_provenance=False)))
    assert not any(tag.startswith("XMP-imageworks:") for tag in off)


def test_plan_carries_what_was_read_for_the_conflict_check():
    plan = plan_changes(photo({}, size=123, mtime_ns=456),
                        Proposal(path="/p/a.jpg", keywords=["x"]), SETTINGS)
    assert (plan.expected_size, plan.expected_mtime_ns) == (123, 456)


def test_mwg_merge_prefers_xmp_and_falls_back_to_iptc_and_exif():
    merged = photo({Tag.IPTC_TITLE: "iptc title", Tag.EXIF_DESCRIPTION: "exif text",
                    Tag.TITLE: "xmp title", Tag.SUBJECT: "single", Tag.IPTC_KEYWORDS: ["SINGLE",
                                                                                      "other"]})
    assert merged.title == "xmp title"
    assert merged.description == "exif text"
    assert merged.keywords == ["single"]  # XMP has keywords: IPTC-only ones are stale (MWG)
    legacy = photo({Tag.IPTC_KEYWORDS: ["SINGLE", "other"]})
    assert legacy.keywords == ["SINGLE", "other"]  # no XMP keywords, no digest: IPTC counts


def test_whitespace_only_and_empty_proposals_change_nothing():
    proposal = Proposal(path="/p/a.jpg", title="  ", description="\n", keywords=["", " | "])
    assert plan_changes(photo({}), proposal, SETTINGS).is_empty

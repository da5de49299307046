"""Every real-world corpus file: a write keeps everything else, and undo restores it exactly."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageSequence

from imageworks_gui.core.metadata import Proposal, Tag
from imageworks_gui.core.metadata_tags import fold
from imageworks_gui.services.metadata import ExifToolPool, MetadataWriter
from tests.support import corpus
from tests.support import photos as ph

OWNED_EXACT = frozenset({
    Tag.TITLE, Tag.DESCRIPTION, Tag.SUBJECT, Tag.HIERARCHICAL, Tag.TAGS_LIST, Tag.ALT_TEXT,
    Tag.IPTC_TITLE, Tag.IPTC_CAPTION, Tag.IPTC_KEYWORDS, Tag.IPTC_CHARSET, Tag.EXIF_DESCRIPTION,
})
"""The fields a write is meant to change (plus our own ``XMP-imageworks`` namespace)."""

ALLOWED_TO_CHANGE: dict[str, str] = {
    "File:FileSize": "the metadata grew",
    "File:CurrentIPTCDigest": "the MD5 of the IPTC block, which changes with its keywords",
    "Photoshop:IPTCDigest": "updated to the new IPTC block where it matched before (MWG)",
    "XMP-x:XMPToolkit": "ExifTool names itself as the XMP writer (undo restores it)",
    "IFD1:ThumbnailOffset": "the thumbnail moves when the EXIF block grows",
    "IFD0:StripOffsets": "TIFF image data moves when the metadata before it grows",
    "IFD0:TileOffsets": "TIFF image data moves when the metadata before it grows",
    "MPF0:MPImageStart": "the second MPO image moves when the first one's metadata grows",
    "IFD0:PreviewImageStart": "an embedded preview moves when the EXIF block grows",
}
"""Tags outside the owned fields that may differ after a write (never after undo)."""

REFUSED: dict[str, str] = {
    "invalid-exif.jpg": "malformed",
    "hopper_bad_exif.jpg": "damaged",
    "exif-ifd-offset.jpg": "points outside the file",
    "hopper_bigtiff.tif": "BigTIFF",
}
"""Corpus files the writer must refuse, with a word of the reason it must give."""

TITLE = "Rivière au crépuscule"
DESCRIPTION = "Première ligne : café, Zürich\nZweite Zeile — 東京の夕暮れ"
NEW_KEYWORDS = ["Rivière", "東京", "Zürich", "rivière"]

ENTRIES = corpus.entries()


@pytest.fixture(scope="module")
def pool() -> Iterator[ExifToolPool]:
    with ExifToolPool(size=2, timeout=60) as shared:
        yield shared


@pytest.fixture(scope="module")
def corpus_dir() -> Path:
    try:
        return corpus.ensure()
    except corpus.CorpusUnavailableError as exc:
        pytest.fail(f"the real-world corpus is unavailable: {exc}")


def full_dump(path: Path) -> dict[str, object]:
    """Every tag ExifTool reads (all groups, duplicates kept), minus file-system facts."""
    out = ph.exiftool("-json", "-G1", "-a", "-struct", "-all", "--System:all",
                      "--ExifTool:ExifToolVersion", "--Composite:all", path)
    record = json.loads(out, parse_int=str, parse_float=str)[0]
    record.pop("SourceFile", None)
    return record


def pixels(path: Path) -> list[str]:
    """A digest of every frame's decoded pixels."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    with Image.open(path) as image:
        return [hashlib.sha256(frame.tobytes()).hexdigest()
                for frame in ImageSequence.Iterator(image)]


def owned(tag: str) -> bool:
    return tag in OWNED_EXACT or tag.startswith("XMP-imageworks:") or tag in (
        Tag.IPTC_ENVELOPE, "IPTC:ApplicationRecordVersion")


def as_list(value: object) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@pytest.mark.parametrize("item", ENTRIES, ids=[e.name for e in ENTRIES])
def test_corpus_file_write_keeps_everything_and_undo_restores_it(
        item: corpus.CorpusFile, corpus_dir: Path, tmp_path: Path, pool: ExifToolPool):
    photo = corpus.copy_to(item.name, tmp_path / "photos")
    original_bytes = photo.read_bytes()
    before = full_dump(photo)
    old_pixels = pixels(photo)
    existing = as_list(before.get(Tag.SUBJECT)) + as_list(before.get(Tag.IPTC_KEYWORDS))
    variant = [existing[0].swapcase()] if existing and existing[0].swapcase() != existing[0] \
        else []
    writer = MetadataWriter(pool, tmp_path / "journal")
    outcome = writer.write(photo, Proposal(path=str(photo), title=TITLE, description=DESCRIPTION,
                                           keywords=[*NEW_KEYWORDS, *variant],
                                           overwrite_title=True))
    if item.name in REFUSED:
        assert outcome.status == "error", outcome
        assert REFUSED[item.name] in (outcome.reason or ""), outcome.reason
        assert "left unchanged" in (outcome.reason or "")
        assert photo.read_bytes() == original_bytes
        return
    assert outcome.status == "written", outcome.reason
    after = full_dump(photo)
    assert pixels(photo) == old_pixels

    changed = {tag for tag in set(before) | set(after) if before.get(tag) != after.get(tag)}
    unexplained = {tag for tag in changed if not owned(tag) and tag not in ALLOWED_TO_CHANGE}
    assert not unexplained, {t: (before.get(t), after.get(t)) for t in sorted(unexplained)}

    # Where each field went, by MWG: XMP always, IPTC and EXIF where they were.
    assert after[Tag.TITLE] == TITLE
    assert after[Tag.DESCRIPTION] == DESCRIPTION
    subject = as_list(after[Tag.SUBJECT])
    for keyword in as_list(before.get(Tag.SUBJECT)):
        assert keyword in subject
    folded = [fold(k) for k in subject]
    for keyword in NEW_KEYWORDS:
        assert folded.count(fold(keyword)) == 1, subject
    if Tag.IPTC_KEYWORDS in before and not outcome.notes:
        iptc = as_list(after[Tag.IPTC_KEYWORDS])
        assert after[Tag.IPTC_TITLE] == TITLE
        for keyword in as_list(before[Tag.IPTC_KEYWORDS]):
            assert keyword in iptc
        for keyword in iptc:  # one spelling per keyword in IPTC and XMP
            assert keyword in subject or fold(keyword) not in folded, (keyword, subject)

    second = ph.exiv2_read(photo)
    assert second.get("Xmp.dc.subject") == subject
    assert second.get("Xmp.dc.description") == DESCRIPTION

    undone = writer.undo(str(writer.list_batches()[0].batch_id))
    assert [o.status for o in undone.outcomes] == ["written"], undone.outcomes
    restored = full_dump(photo)
    assert {t: restored.get(t) for t in set(before) | set(restored)
            if before.get(t) != restored.get(t)} == {}
    assert pixels(photo) == old_pixels

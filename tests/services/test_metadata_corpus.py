"""Every real-world corpus file: a write keeps everything else, and undo restores it exactly."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from imageworks_gui.core.metadata import Proposal, Tag
from imageworks_gui.core.metadata_tags import fold, is_placeholder
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
    "RIFF:WebP_Flags": "a WebP's header flags announce the XMP chunk a write adds",
    "XMP-xmpNote:HasExtendedXMP": "ExifTool joins extended XMP into the main packet when it "
    "fits (Ultra HDR, Pixel); the writer keeps the original, so undo puts its bytes back",
}
"""Tags outside the owned fields that may differ after a write (not after undo)."""

LAYOUT = re.compile(r"(Offset|Offsets|Start|MediaDataSize)$")
"""Positions and sizes of data blocks inside the file (thumbnail, strips, maker-note preview,
second MPO image; HEIF's media data box, which holds the XMP item as ExifTool serialises it):
ExifTool moves them whenever a metadata block before them changes size, on write and on undo
alike. They are layout, not values: what they hold is checked by the pixel and tag
comparisons."""

REFUSED: dict[str, str] = {
    "invalid-exif.jpg": "malformed",
    "hopper_bad_exif.jpg": "damaged",
    "exif-ifd-offset.jpg": "points outside the file",
    "hopper_bigtiff.tif": "BigTIFF",
    "01.tif": "MakerNotes offsets may be incorrect",
}
"""Corpus files the writer must refuse, with a word of the reason it must give."""

TITLE = "Rivière au crépuscule"
DESCRIPTION = "Première ligne : café, Zürich\nZweite Zeile — 東京の夕暮れ"
NEW_KEYWORDS = ["Rivière", "東京", "Zürich", "rivière"]
HIERARCHY = "Orte|Flüsse|Rivière"
"""A vocabulary path whose root is a container: in both hierarchy fields, never flat."""

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
    """A digest of every decodable frame's pixels."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    # Some test files are cut short on purpose (ultrahdr.jpg's gain map): decode what is there.
    truncated, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, True
    try:
        with Image.open(path) as image:
            digests = []
            for index in range(getattr(image, "n_frames", 1)):
                try:
                    image.seek(index)
                    digests.append(hashlib.sha256(image.tobytes()).hexdigest())
                except (OSError, ValueError):
                    # Pillow's ultrahdr.jpg is cut short before its gain map image: whether
                    # Pillow lists that missing frame depends on offsets, not on the pixels.
                    continue
            return digests
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated


def fixed_png_order(tag: str, before: dict[str, object], after: dict[str, object]) -> bool:
    """ExifTool moves text/EXIF chunks found after a PNG's image data in front of it whenever
    it rewrites the file (and drops its warning about them): the one change undo cannot take
    back, as putting chunks where readers may ignore them would be a defect of its own."""
    return (tag == "ExifTool:Warning" and after.get(tag) is None
            and "found after PNG IDAT" in str(before.get(tag)))


RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
LR = "{http://ns.adobe.com/lightroom/1.0/}"
DIGIKAM = "{http://www.digikam.org/ns/1.0/}"


def second_reader(path: Path) -> dict[str, object]:
    """XMP as an independent library reads it: exiv2, or libheif (pillow-heif) for HEIF files,
    whose XMP items exiv2's BMFF support does not always find."""
    if path.suffix.lower() not in (".heic", ".heif", ".avif", ".hif"):
        return ph.exiv2_read(path)
    import xml.etree.ElementTree as ElementTree

    import pillow_heif

    packet = pillow_heif.open_heif(path).info.get("xmp") or b""
    out: dict[str, object] = {}
    if packet:
        root = ElementTree.fromstring(packet.decode("utf-8").strip("\x00 \n"))
        for key, name in (("Xmp.dc.subject", f"{DC}subject"),
                          ("Xmp.lr.hierarchicalSubject", f"{LR}hierarchicalSubject"),
                          ("Xmp.digiKam.TagsList", f"{DIGIKAM}TagsList")):
            for node in root.iter(name):
                out[key] = [li.text for li in node.iter(f"{RDF}li")]
        for node in root.iter(f"{DC}description"):
            out["Xmp.dc.description"] = next(li.text for li in node.iter(f"{RDF}li"))
    return out


def existing_description(dump: dict[str, object]) -> str | None:
    """A real description the file holds already (kept: no overwrite was approved)."""
    for tag in (Tag.DESCRIPTION, Tag.IPTC_CAPTION, Tag.EXIF_DESCRIPTION):
        value = dump.get(tag)
        if isinstance(value, str) and value.strip() and not is_placeholder(value):
            return value
    return None


def skipped(notes: list[str], block: str) -> bool:
    return any(f"{block} is left as it is" in note for note in notes)


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
                                           keywords=[*NEW_KEYWORDS, HIERARCHY, *variant],
                                           containers=["Orte"], overwrite_title=True))
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
    created_xmp = not any(tag.startswith("XMP-") for tag in before)
    unexplained = {tag for tag in changed if not owned(tag) and tag not in ALLOWED_TO_CHANGE
                   and not LAYOUT.search(tag) and not (created_xmp and tag == Tag.XMP_TOOLKIT)
                   and not fixed_png_order(tag, before, after)}
    assert not unexplained, {t: (before.get(t), after.get(t)) for t in sorted(unexplained)}

    # Where each field went, by MWG: XMP always, IPTC and EXIF where they were.
    assert after[Tag.TITLE] == TITLE
    kept = existing_description(before)
    description = kept or DESCRIPTION
    assert after.get(Tag.DESCRIPTION) == (None if kept else DESCRIPTION)
    if Tag.EXIF_DESCRIPTION in before and not kept and not skipped(outcome.notes, "EXIF"):
        assert after[Tag.EXIF_DESCRIPTION] == DESCRIPTION
    subject = as_list(after[Tag.SUBJECT])
    for keyword in as_list(before.get(Tag.SUBJECT)):
        assert keyword in subject
    folded = [fold(k) for k in subject]
    for keyword in NEW_KEYWORDS:
        assert folded.count(fold(keyword)) == 1, subject
    if Tag.IPTC_KEYWORDS in before and not skipped(outcome.notes, "IPTC"):
        iptc = as_list(after[Tag.IPTC_KEYWORDS])
        assert after[Tag.IPTC_TITLE] == TITLE
        for keyword in as_list(before[Tag.IPTC_KEYWORDS]):
            assert keyword in iptc
        for keyword in iptc:  # one spelling per keyword in IPTC and XMP
            assert keyword in subject or fold(keyword) not in folded, (keyword, subject)

    hierarchical = as_list(after.get(Tag.HIERARCHICAL))
    tags_list = as_list(after.get(Tag.TAGS_LIST))
    for tag, values, path in ((Tag.HIERARCHICAL, hierarchical, HIERARCHY),
                              (Tag.TAGS_LIST, tags_list, HIERARCHY.replace("|", "/"))):
        old = as_list(before.get(tag))
        assert values[:len(old)] == old and path in values and "東京" in values, values
    assert "Flüsse" in subject and ("Orte" in subject) == ("Orte" in as_list(
        before.get(Tag.SUBJECT)))

    second = second_reader(photo)
    assert second.get("Xmp.dc.subject") == subject
    assert second.get("Xmp.lr.hierarchicalSubject") == hierarchical
    assert second.get("Xmp.digiKam.TagsList") == tags_list
    assert second.get("Xmp.dc.description") == (None if kept else description)

    undone = writer.undo(str(writer.journal.list_batches()[0].batch_id))
    assert [o.status for o in undone.outcomes] == ["written"], undone.outcomes
    restored = full_dump(photo)
    assert {t: (before.get(t), restored.get(t)) for t in set(before) | set(restored)
            if before.get(t) != restored.get(t) and not LAYOUT.search(t)
            and not fixed_png_order(t, before, restored)} == {}
    assert pixels(photo) == old_pixels

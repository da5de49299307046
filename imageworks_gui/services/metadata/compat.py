"""What Lightroom, digiKam/Immich and darktable see of a photo, before and after a planned write.

The planned write runs on private copies in a temporary folder (the photo, its sidecars and the
names of its same-name siblings), through the same planner and writer as a real write, so the
report can never disagree with what writing would do. The photo's folder is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from imageworks_gui.core.metadata import Proposal, TagEdit
from imageworks_gui.core.metadata_tags import Tag, as_list, fold, normalise_tag_value
from imageworks_gui.core.settings import MetadataSettings
from imageworks_gui.core.sidecars import assess_sidecar, same_stem_photos
from imageworks_gui.core.write_risks import WriteRisk
from imageworks_gui.services.metadata.exiftool import ExifToolError, ExifToolPool, file_arg
from imageworks_gui.services.metadata.filewrite import apply_plan
from imageworks_gui.services.metadata.reader import (
    MetadataError,
    check_photo,
    read_metadata,
    uses_sidecar,
)
from imageworks_gui.services.metadata.sidecars import (
    existing_sidecars,
    folder_names,
    resolve_sidecar,
    sidecar_paths,
)
from imageworks_gui.services.metadata.writer import MetadataWriter

VIEW_ARGS = ("-G1", "-use", "MWG", "-MWG:Keywords", "-MWG:Description", "-XMP-dc:Title",
             "-IPTC:ObjectName", "-XMP-dc:Subject", "-IPTC:Keywords", "-XMP-digiKam:TagsList",
             "-XMP-lr:HierarchicalSubject", "-XMP-xmp:Rating")
"""ExifTool's MWG composites reconcile XMP, IPTC (digest rules) and EXIF as MWG readers do."""

PROBLEM_ACTIONS = frozenset({"refuse", "xmp_only", "skip_field"})


class ProgramView(BaseModel):
    """The photo as one program shows it."""

    program: str
    reads: str
    """The file(s) the program takes the metadata from, and why."""
    title: str | None = None
    description: str | None = None
    keywords: list[str] = Field(default_factory=list)
    hierarchical: list[str] = Field(default_factory=list)
    tags_list: list[str] = Field(default_factory=list)
    shows: list[str] = Field(default_factory=list)
    """The keywords the program lists, from the one field it reads them from (see
    ``TAG_SOURCES``); empty for Lightroom, which merges them all."""


TAG_SOURCES: dict[str, tuple[str, ...]] = {
    "digiKam / Immich": (Tag.TAGS_LIST, Tag.HIERARCHICAL, "MWG:Keywords"),
    "darktable": (Tag.HIERARCHICAL, "MWG:Keywords"),
}
"""The first field with values is the only one these programs take keywords from (digiKam's
and Immich's tag readers, darktable's XMP import)."""


def _shown(program: str, view: ProgramView) -> list[str]:
    values = {Tag.TAGS_LIST: view.tags_list, Tag.HIERARCHICAL: view.hierarchical,
              "MWG:Keywords": view.keywords}
    for source in TAG_SOURCES.get(program, ()):
        if values[source]:
            if source == Tag.HIERARCHICAL and program.startswith("digiKam"):
                # As Immich converts it: a '/' inside a level is kept (as '|'); digiKam splits it.
                return ["/".join(level.replace("/", "|") for level in v.split("|"))
                        for v in values[source]]
            return list(values[source])
    return []


class CheckReport(BaseModel):
    """One file's compatibility report."""

    path: str
    target: str | None = None
    before: list[ProgramView] = Field(default_factory=list)
    after: list[ProgramView] | None = None
    """None when no write was planned (or it would fail: see ``error``)."""
    changes: list[str] = Field(default_factory=list)
    risks: list[WriteRisk] = Field(default_factory=list)
    lost: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    error: str | None = None

    @property
    def has_problems(self) -> bool:
        """Something would be lost, refused, limited or would fail (exit status 1)."""
        return bool(self.error or self.lost or any(
            r.action in PROBLEM_ACTIONS or r.code == "sidecar_collision" for r in self.risks))


def _read(pool: ExifToolPool, path: Path, args: tuple[str, ...]) -> dict[str, Any]:
    try:
        records, _ = pool.execute_json([*args, file_arg(path)])
    except (ExifToolError, ValueError):
        return {}
    return records[0] if records else {}


def _text(record: dict[str, Any], *tags: str) -> str | None:
    for tag in tags:
        value = normalise_tag_value(tag, record.get(tag))
        if isinstance(value, str) and value.strip():
            return value
    return None


def _mwg_keywords(record: dict[str, Any]) -> list[str]:
    """ExifTool's reconciled keywords, as the list (XMP or IPTC) they were taken from."""
    value = record.get("MWG:Keywords")
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    for tag in (Tag.SUBJECT, Tag.IPTC_KEYWORDS):
        items = as_list(normalise_tag_value(tag, record.get(tag)))
        if items and ", ".join(items) == str(value):
            return items
    return [str(value)]


def _view(pool: ExifToolPool, program: str, reads: str, files: list[Path]) -> ProgramView:
    """Values of the first file that has them (sidecar first, then the photo)."""
    records = [_read(pool, f, VIEW_ARGS) for f in files if f.is_file()]

    def first_list(tag: str) -> list[str]:
        if tag == "MWG:Keywords":
            return next((_mwg_keywords(r) for r in records if r.get(tag)), [])
        return next((as_list(normalise_tag_value(tag, r.get(tag))) for r in records
                     if r.get(tag)), [])

    def first_text(*tags: str) -> str | None:
        return next((t for r in records if (t := _text(r, *tags))), None)

    view = ProgramView(
        program=program, reads=reads, title=first_text(Tag.TITLE, Tag.IPTC_TITLE),
        description=first_text("MWG:Description"), keywords=first_list("MWG:Keywords"),
        hierarchical=first_list(Tag.HIERARCHICAL), tags_list=first_list(Tag.TAGS_LIST))
    view.shows = _shown(program, view)
    return view


def program_views(pool: ExifToolPool, photo: Path, settings: MetadataSettings
                  ) -> list[ProgramView]:
    """What each program reads for ``photo`` as the files stand now."""
    names = {**sidecar_paths(photo), **existing_sidecars(photo)}  # ``.XMP`` as the writer finds it
    adobe, darktable = names["adobe"], names["darktable"]
    sidecar = uses_sidecar(photo, settings)

    def where(path: Path, fallback: str) -> str:
        return f"{path.name}" if path.is_file() else f"{path.name} (missing): {fallback}"

    if sidecar and photo.suffix.lower() != ".dng":  # Lightroom reads a DNG's own XMP
        lightroom = _view(pool, "Lightroom Classic", where(
            adobe, "the RAW's own metadata"), [adobe, photo])
    else:
        lightroom = _view(pool, "Lightroom Classic", photo.name, [photo])
    digikam_files = [darktable, adobe, photo] if sidecar else [darktable, photo]
    found = next((f.name for f in digikam_files if f.is_file()), photo.name)
    digikam = _view(pool, "digiKam / Immich", found, digikam_files)
    dt = _view(pool, "darktable", where(darktable, "imports the photo's own metadata once"),
               [darktable, photo])
    return [lightroom, digikam, dt]


def _stage(photo: Path, folder: Path, settings: MetadataSettings) -> Path:
    """Copies of ``photo`` and its sidecars in ``folder``, with its same-name siblings (as empty
    files: only their names matter), so that the write planned there chooses the same target."""
    listing = folder_names(photo.parent)
    siblings = same_stem_photos(photo.name, listing)
    sidecars = {f"{name}.xmp".casefold() for name in (photo.stem, photo.name, *siblings)}
    for name in listing:
        if name.casefold() in sidecars:
            shutil.copy2(photo.parent / name, folder / name)
    for name in siblings:
        (folder / name).touch()
    copy = folder / photo.name
    if uses_sidecar(photo, settings):
        try:  # a RAW is never written: a link is enough (and cheap for big files)
            os.symlink(photo, copy)
            return copy
        except OSError:
            pass
    shutil.copy2(photo, copy)
    return copy


def _cut_short(edits: list[TagEdit]) -> list[str]:
    """IPTC copies of a new title or description that IPTC's byte limits cut short."""
    by_tag = {edit.tag: edit.after for edit in edits}
    out: list[str] = []
    for iptc, xmp, label in ((Tag.IPTC_TITLE, Tag.TITLE, "title"),
                             (Tag.IPTC_CAPTION, Tag.DESCRIPTION, "description")):
        short, full = by_tag.get(iptc), by_tag.get(xmp)
        if isinstance(short, str) and isinstance(full, str) and short != full:
            out.append(f"{iptc} would hold the {label} cut to {len(short.encode('utf-8'))} "
                       "bytes (IPTC's limit): programs that read only IPTC miss the rest "
                       "(XMP holds all of it)")
    return out


def _lost(before: list[ProgramView], after: list[ProgramView]) -> list[str]:
    lost: list[str] = []
    for old, new in zip(before, after, strict=True):
        for label in ("keywords", "hierarchical", "tags_list", "shows"):
            kept = {fold(k) for k in getattr(new, label)}
            if label == "shows":  # a flat keyword that became the leaf of a path is still shown
                kept |= {fold(re.split(r"[|/]", k)[-1]) for k in new.shows}
            gone = [k for k in getattr(old, label) if fold(k) not in kept]
            if gone:
                what = "the keywords" if label == "shows" else label.replace("_", " ")
                lost.append(f"{old.program} would no longer show {what}: {', '.join(gone)}")
        for label in ("title", "description"):
            if getattr(old, label) and not getattr(new, label):
                lost.append(f"{old.program} would no longer show the {label}")
    return lost


def write_risks(pool: ExifToolPool, path: str | os.PathLike[str], settings: MetadataSettings
                ) -> tuple[str, list[WriteRisk]]:
    """The file a write of ``path`` goes to, and its risks: in-file ones (judged exactly as the
    writer judges them) or, for a sidecar, a collision with another photo's sidecar."""
    photo = Path(os.path.abspath(path))
    if uses_sidecar(photo, settings):
        choice, target, _ = resolve_sidecar(pool, photo, settings)
        if choice.refused:
            return str(target), assess_sidecar(choice)
    try:
        meta = read_metadata(pool, photo, settings)  # the writer's own reading and risks
    except MetadataError as exc:
        return str(photo), [WriteRisk("unreadable", None, "refuse", str(exc))]
    return meta.target, meta.risks


def check_file(pool: ExifToolPool, path: str | os.PathLike[str], proposal: Proposal | None,
               settings: MetadataSettings) -> CheckReport:
    """The compatibility report of one file; ``proposal`` is the planned write (or None)."""
    photo = Path(os.path.abspath(path))
    report = CheckReport(path=str(photo))
    try:
        check_photo(photo)
    except MetadataError as exc:
        report.error = str(exc)
        return report
    report.before = program_views(pool, photo, settings)
    report.target, report.risks = write_risks(pool, photo, settings)
    if proposal is None:
        return report
    with tempfile.TemporaryDirectory(prefix="imageworks-check-") as temp:
        copy = _stage(photo, Path(temp), settings)
        try:
            # The writer's own planning: it refuses what a real write would refuse.
            plan = MetadataWriter(pool, temp, settings).plan(Proposal.model_validate(
                {**proposal.model_dump(), "path": str(copy)}))
            shown = {risk.message for risk in report.risks}
            report.notes = [note.replace(temp + os.sep, "") for note in plan.notes
                            if note not in shown]
            report.changes = [_describe(edit.tag, edit.mode, edit.items, edit.after)
                              for edit in plan.edits if edit.before != edit.after
                              and not edit.tag.startswith("XMP-imageworks:")]
            limited = _cut_short(plan.edits)
            if not plan.is_empty:
                apply_plan(pool, plan)
        except MetadataError as exc:
            report.error = "the write would fail: " + str(exc).replace(temp + os.sep, "")
            return report
        report.after = program_views(pool, copy, settings)
    report.lost = [*limited, *_lost(report.before, report.after)]
    return report


def _describe(tag: str, mode: str, items: list[str], after: object) -> str:
    if mode == "add":
        return f"{tag}: + {', '.join(items)}"
    return f"{tag}: {after!r}"

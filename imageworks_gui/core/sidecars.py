"""Sidecar naming rules: which XMP file belongs to which photo when names collide."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Literal

from imageworks_gui.core.metadata_tags import RAW_EXTENSIONS
from imageworks_gui.core.write_risks import WriteRisk

SidecarStyle = Literal["adobe", "darktable"]
CollisionPolicy = Literal["per_file", "refuse"]

PHOTO_EXTENSIONS = RAW_EXTENSIONS | frozenset(
    {".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".png", ".webp", ".heic", ".heif", ".hif",
     ".avif", ".jxl"})
"""Files that count as photos when looking for another photo with the same base name."""

SIDECAR_FOR = "XMP-photoshop:SidecarForExtension"
"""Lightroom's record of which file extension an ``IMG_1.xmp`` sidecar belongs to."""
RAW_FILE_NAME = "XMP-crs:RawFileName"
DERIVED_FROM = "XMP-xmpMM:DerivedFrom"
OWNER_TAGS = (SIDECAR_FOR, RAW_FILE_NAME, DERIVED_FROM)
"""Tags read from an existing ``IMG_1.xmp`` to tell which photo it belongs to, in this order."""


def adobe_name(photo: str) -> str:
    """``IMG_1.CR2`` -> ``IMG_1.xmp`` (Adobe, Capture One)."""
    return PurePath(photo).stem + ".xmp"


def darktable_name(photo: str) -> str:
    """``IMG_1.CR2`` -> ``IMG_1.CR2.xmp`` (darktable, digiKam, Immich); never shared."""
    return PurePath(photo).name + ".xmp"


def same_stem_photos(photo: str, names: Iterable[str]) -> list[str]:
    """Other photo files in ``names`` whose Adobe sidecar name is the same as ``photo``'s."""
    own = PurePath(photo)
    stem = own.stem.casefold()
    out: list[str] = []
    for name in names:
        other = PurePath(name)
        if (other.name != own.name and other.stem.casefold() == stem
                and other.suffix.lower() in PHOTO_EXTENSIONS):
            out.append(other.name)
    return sorted(out)


def _text(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, Mapping):
        value = value.get("FilePath") or value.get("DocumentID") or ""
    return str(value or "").strip()


def sidecar_owner(values: Mapping[str, object], candidates: Iterable[str]) -> str | None:
    """Which of ``candidates`` (photo file names) an Adobe-style sidecar says it belongs to.

    Lightroom records ``photoshop:SidecarForExtension``; Camera Raw ``crs:RawFileName``;
    darktable ``xmpMM:DerivedFrom``. Without any of them, Camera Raw settings (``crs:``) mean
    the sidecar belongs to the only RAW among the candidates (Adobe keeps a JPEG's settings
    inside the JPEG). None when it cannot be told.
    """
    names = list(candidates)
    for tag in OWNER_TAGS:
        claim = _text(values.get(tag))
        if not claim:
            continue
        if tag == SIDECAR_FOR:
            ext = claim.lstrip(".")
            matches = [n for n in names if PurePath(n).suffix[1:].casefold() == ext.casefold()]
            exact = [n for n in matches if PurePath(n).suffix[1:] == ext]
            # IMG_1.CR2 and IMG_1.cr2 side by side: only an exact match tells them apart.
            found = exact if len(matches) > 1 else matches
        else:
            claim_name = PurePath(claim.replace("\\", "/")).name
            matches = [n for n in names if n.casefold() == claim_name.casefold()]
            exact = [n for n in matches if n == claim_name]
            found = exact if len(matches) > 1 else matches
        if len(found) == 1:
            return found[0]
    raws = [n for n in names if PurePath(n).suffix.lower() in RAW_EXTENSIONS]
    if len(raws) == 1 and any(str(tag).startswith("XMP-crs:") for tag in values):
        return raws[0]
    return None


@dataclass(frozen=True)
class SidecarChoice:
    """The sidecar a photo's metadata goes to, and why (``note`` when a collision was avoided)."""

    name: str
    """File name of the sidecar, in the photo's folder."""
    style: SidecarStyle
    exists: bool
    shared_with: list[str] = field(default_factory=list)
    """Other photos with the same base name (they share the Adobe-style name)."""
    owner_of_adobe: str | None = None
    """Which photo the existing Adobe-style sidecar belongs to, when that is known."""
    note: str | None = None
    refused: str | None = None
    """Why nothing may be written (policy ``refuse``), or None."""


def choose_sidecar(
    photo: str,
    siblings: list[str],
    existing: Mapping[SidecarStyle, str],
    adobe_values: Mapping[str, object] | None,
    style: SidecarStyle,
    policy: CollisionPolicy,
) -> SidecarChoice:
    """Pick the sidecar for ``photo`` (a file name) so that no two photos ever share one.

    ``existing`` maps style -> existing sidecar name; ``adobe_values`` are the tags of the
    existing Adobe-style sidecar (read only when ``siblings`` is not empty).
    """
    name = PurePath(photo).name
    adobe, darktable = existing.get("adobe"), existing.get("darktable")
    if not siblings:
        chosen = existing.get(style) or adobe or darktable
        if chosen is not None:
            return SidecarChoice(chosen, "adobe" if chosen == adobe else "darktable", True)
        new = adobe_name(name) if style == "adobe" else darktable_name(name)
        return SidecarChoice(new, style, False)
    owner = sidecar_owner(adobe_values or {}, [name, *siblings]) if adobe else None
    shared = ", ".join(siblings)
    if adobe is not None and owner == name:
        chosen = darktable if style == "darktable" and darktable else adobe
        return SidecarChoice(chosen, "adobe" if chosen == adobe else "darktable", True,
                             siblings, owner)
    if darktable is not None:
        return SidecarChoice(darktable, "darktable", True, siblings, owner,
                             note=_per_file_note(name, adobe, owner, shared))
    if adobe is None and style == "darktable":
        return SidecarChoice(darktable_name(name), "darktable", False, siblings)
    per_file = darktable_name(name)
    if policy == "refuse":
        whose = (f"it belongs to {owner}" if owner else
                 f"it could belong to {name} or {shared}") if adobe else \
            f"{shared} would share it"
        return SidecarChoice(
            per_file, "darktable", False, siblings, owner,
            refused=(f"{name}: its sidecar name {adobe_name(name)} is shared with {shared} "
                     f"({whose}); nothing was written, so the two photos' metadata is never "
                     f"merged. Rename one of the photos, or set the sidecar collision setting "
                     f"to 'per_file' to write {per_file} instead"))
    return SidecarChoice(per_file, "darktable", False, siblings, owner,
                         note=_per_file_note(name, adobe, owner, shared))


def _per_file_note(name: str, adobe: str | None, owner: str | None, shared: str) -> str:
    per_file = darktable_name(name)
    if adobe is None:
        why = f"{adobe_name(name)} would be shared with {shared}"
    elif owner:
        why = f"{adobe} belongs to {owner}"
    else:
        why = f"{adobe} could belong to {name} or {shared}, so it is left alone"
    return (f"{why}: this photo's metadata goes to {per_file} (darktable, digiKam and Immich "
            "read it; Lightroom and Capture One do not)")


def assess_sidecar(choice: SidecarChoice) -> list[WriteRisk]:
    """The sidecar-collision risks of a choice, in the style of ``assess_in_file``."""
    if choice.refused:
        return [WriteRisk("sidecar_collision", None, "refuse", choice.refused)]
    if choice.note:
        return [WriteRisk("sidecar_collision", None, "warn", choice.note)]
    return []

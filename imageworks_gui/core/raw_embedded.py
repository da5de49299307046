"""What a RAW file itself holds (title, description, keywords, rating) beside its sidecar."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, Field

from imageworks_gui.core.metadata_tags import (
    Tag,
    TagValue,
    as_list,
    fold,
    is_placeholder,
    normalise_tag_value,
)
from imageworks_gui.core.write_risks import iptc_digest_state

RATING = "XMP-xmp:Rating"
EXIF_RATING = "IFD0:Rating"
EXTRA_READ_ARGS = ("-IFD0:Rating", "-ExifTool:Error")
"""Read from the RAW besides the usual tags (XMP Rating comes with ``-XMP:all``)."""

class RawEmbedded(BaseModel):
    """The metadata inside a RAW file whose own metadata goes to a sidecar (never written)."""

    title: str | None = None
    description: str | None = None
    keywords: list[str] = Field(default_factory=list)
    hierarchical: list[str] = Field(default_factory=list)
    tags_list: list[str] = Field(default_factory=list)
    rating: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.title or self.description or self.keywords or self.hierarchical
                    or self.tags_list or self.rating)

    def summary(self) -> str:
        """``title, description, 3 keywords, rating 4`` (what is there, for messages)."""
        parts = [name for name, value in (("title", self.title),
                                          ("description", self.description)) if value]
        if self.keywords:
            parts.append(f"{len(self.keywords)} keyword{'s' if len(self.keywords) != 1 else ''}")
        if self.rating:
            parts.append(f"rating {self.rating}")
        return ", ".join(parts)

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> RawEmbedded:
        """Build from ExifTool's values for the RAW file (XMP first, then IPTC, then EXIF)."""

        def text(*tags: str) -> str | None:
            for tag in tags:
                value = normalise_tag_value(tag, record.get(tag))
                if isinstance(value, str) and value.strip() and not is_placeholder(value):
                    return value
            return None

        def items(tag: str) -> list[str]:
            return as_list(normalise_tag_value(tag, record.get(tag)))

        subject, iptc = items(Tag.SUBJECT), items(Tag.IPTC_KEYWORDS)
        # MWG, as for photos written in place: IPTC keywords count when XMP has none and no
        # digest says XMP is authoritative or IPTC stale.
        keywords = subject or (iptc if iptc_digest_state(record) == "none" else [])
        rating = text(RATING, EXIF_RATING)
        return cls(
            title=text(Tag.TITLE, Tag.IPTC_TITLE),
            description=text(Tag.DESCRIPTION, Tag.IPTC_CAPTION, Tag.EXIF_DESCRIPTION),
            keywords=union(keywords, []),
            hierarchical=items(Tag.HIERARCHICAL),
            tags_list=items(Tag.TAGS_LIST),
            rating=None if rating in (None, "0") else rating,
        )

    def carried_values(self) -> dict[str, TagValue]:
        """Tag -> value to copy into a sidecar created for this RAW (absent fields left out)."""
        values: dict[str, TagValue] = {
            Tag.TITLE: self.title, Tag.DESCRIPTION: self.description,
            Tag.SUBJECT: list(self.keywords) or None,
            Tag.HIERARCHICAL: list(self.hierarchical) or None,
            Tag.TAGS_LIST: list(self.tags_list) or None, RATING: self.rating}
        return {tag: value for tag, value in values.items() if value}


def union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    """Items of both, in order, without case-insensitive duplicates (first spelling kept)."""
    out: list[str] = []
    seen: set[str] = set()
    for item in [*first, *second]:
        if item and fold(item) not in seen:
            seen.add(fold(item))
            out.append(item)
    return out


def respell(keywords: Iterable[str], known: Iterable[str]) -> list[str]:
    """``keywords`` with each one that matches a ``known`` keyword spelled as that one is."""
    spelling = {fold(k): k for k in reversed(list(known))}
    return [spelling.get(fold(k), k) for k in keywords]

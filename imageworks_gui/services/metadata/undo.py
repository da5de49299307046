"""Turn a journal entry back into a plan that restores the values a write replaced."""

from __future__ import annotations

import os

from imageworks_gui.core.metadata import ChangePlan, TagEdit, TagValue, as_list, normalise_tag_value
from imageworks_gui.core.metadata_plan import keep_bookkeeping
from imageworks_gui.core.write_risks import iptc_digest_state
from imageworks_gui.services.metadata.filewrite import file_sha256
from imageworks_gui.services.metadata.journal import JournalEntry
from imageworks_gui.services.metadata.reader import MetadataError, read_tag_values

XMP_BOOKKEEPING = frozenset({"XMP-x:XMPToolkit"})
"""XMP tags ExifTool adds by itself; they do not count as user metadata."""


class AlreadyUndoneError(MetadataError):
    """The batch was undone before."""


def _same(found: TagValue, expected: TagValue) -> bool:
    if isinstance(expected, list) or isinstance(found, list):
        return as_list(found) == as_list(expected)
    return found == expected


def _reverse(edit: TagEdit, current: TagValue) -> TagEdit | str | None:
    """The edit that undoes ``edit`` given the current value; a string explains a skip."""
    if _same(current, edit.before):
        return None
    if _same(current, edit.after):
        if edit.mode == "add":
            return TagEdit(tag=edit.tag, mode="remove", before=current, after=edit.before,
                           items=edit.items)
        if edit.mode == "remove":
            return TagEdit(tag=edit.tag, mode="add", before=current, after=edit.before,
                           items=edit.items)
        return TagEdit(tag=edit.tag, mode="set", before=current, after=edit.before)
    present = as_list(current)
    if edit.mode == "add" and all(item in present for item in edit.items):
        # Keywords were added since: take ours out, keep theirs.
        remaining = [item for item in present if item not in edit.items]
        return TagEdit(tag=edit.tag, mode="remove", before=current, after=remaining or None,
                       items=edit.items)
    return f"{edit.tag} was changed after the write; left as it is now"


def restore_plan(pool: object, entry: JournalEntry) -> ChangePlan:
    """A plan that puts back the previous values of ``entry``'s tags (empty when nothing to do)."""
    target = entry.target
    base = {"path": entry.path, "target": target, "had_xmp": True}
    if not os.path.exists(target):
        if not entry.target_existed:
            return ChangePlan(**base, target_exists=False)
        if entry.edits and all(edit.after is None for edit in entry.edits):
            # This batch emptied and removed the file (the undo of a new sidecar): undoing it
            # writes the file again with every value.
            edits = [r for e in reversed(entry.edits)
                     if isinstance(r := _reverse(e, None), TagEdit)]
            return ChangePlan(**base, target_exists=False, edits=edits)
        raise MetadataError(f"{target}: the file is missing, so its metadata cannot be restored; "
                            "put it back and undo again")
    st = os.stat(target)
    record = read_tag_values(pool, target)  # type: ignore[arg-type]
    edits: list[TagEdit] = []
    notes: list[str] = []
    for edit in reversed(entry.edits):
        if edit.tag.endswith(":all") or edit.before == edit.after:
            continue
        reverse = _reverse(edit, normalise_tag_value(edit.tag, record.get(edit.tag)))
        if isinstance(reverse, str):
            notes.append(reverse)
        elif reverse is not None:
            edits.append(reverse)
    touched = {edit.tag for edit in entry.edits}
    others = [key for key in record
              if key.startswith("XMP-") and key not in touched and key not in XMP_BOOKKEEPING]
    fully_restored = not notes and all(e.after is None for e in edits)
    xmp_notes = [n for n in notes if n.startswith("XMP-")]
    # The write created the XMP block and every XMP value goes again: remove the block so
    # the file is as it was (EXIF or IPTC values may still be restored beside it).
    drop_xmp = (not entry.had_xmp and not others and not xmp_notes
                and all(e.after is None for e in edits if e.tag.startswith("XMP-")))
    if not drop_xmp:
        values = {tag: normalise_tag_value(tag, value) for tag, value in record.items()}
        edits = keep_bookkeeping(edits, values, any(k.startswith("XMP-") for k in record),
                                 iptc_versions=True)
    plan = {**base, "expected_size": st.st_size, "expected_mtime_ns": st.st_mtime_ns,
            "notes": notes, "update_iptc_digest": iptc_digest_state(record) == "matches"
            and any(e.tag.startswith("IPTC:") for e in edits)}
    if fully_restored and not others and not entry.target_existed:
        return ChangePlan(**plan, edits=edits, delete_target=True)
    copy = entry.original_copy
    if copy and os.path.isfile(copy) and entry.written_sha256 == file_sha256(target):
        # Nothing touched the file since the write: put the kept original back, exactly.
        return ChangePlan(**plan, edits=edits, restore_from=copy)
    if drop_xmp and edits:
        # The XMP edits stay beside the block's removal, so that undoing this undo (journaled
        # from these edits) writes every XMP value again.
        edits.append(TagEdit(tag="XMP:all", mode="set", before=None, after=None))
    return ChangePlan(**plan, edits=edits)

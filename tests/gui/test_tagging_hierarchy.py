"""Approving a vocabulary-mapped proposal in the Tagging workspace writes its full paths."""

from __future__ import annotations

from imageworks_gui.core import review as rv
from imageworks_gui.core.tagging import TagResult
from imageworks_gui.core.vocabulary import Vocabulary
from imageworks_gui.core.vocabulary_formats import parse_vocabulary
from imageworks_gui.core.vocabulary_mapping import VocabularyMapper, VocabularyPolicy
from tests.gui.tagging_support import make_photos, wait_until
from tests.gui.test_tagging_flow import _drop, setup  # noqa: F401  (the workspace fixture)
from tests.support import photos as ph

LIGHTROOM = "[People]\n\tFamily\n\t\tAnna\nAnimals\n\tBirds\n\t\tGrey heron\n"


def mapped(path: str) -> TagResult:
    fmt, terms = parse_vocabulary(LIGHTROOM.encode("utf-8"), "lightroom")
    result = TagResult(path=path, status="ok", caption="Anna with a heron",
                       keywords=["anna", "grey herons", "pond"])
    VocabularyPolicy(VocabularyMapper([Vocabulary(name="lr", format=fmt, terms=terms)])
                     ).apply_to(result)
    return result


def test_approved_mapped_keywords_are_written_with_their_paths(tmp_path, setup, run):  # noqa: F811
    make, _backend = setup
    folder = tmp_path / "photos"
    (photo,) = make_photos(folder, ("red",))
    ws = make()
    ctrl = ws.controller

    async def flow() -> None:
        _drop(ws.window(), [folder])
        await wait_until(lambda: ws.proxy.rowCount() == 1)
        review = rv.apply_result(rv.queue(ctrl.session.get(str(photo))), mapped(str(photo)))
        ctrl.put([review])
        await wait_until(lambda: ctrl.session.get(str(photo)).state == "proposed")
        ws.select_path(str(photo))
        assert ws.review_pane.chips.chip("Anna") is not None  # chips show the names
        ctrl.reject_keyword(str(photo), "pond")
        assert ctrl.approve(str(photo))
        summary = await ctrl.writer.write_approved()
        assert summary is not None and summary.written == 1, summary
        await wait_until(lambda: ctrl.session.get(str(photo)).state == "written")

    run(flow())
    found = ph.tags(photo, "XMP-dc:Subject", "XMP-lr:HierarchicalSubject",
                    "XMP-digiKam:TagsList")
    assert found["XMP-dc:Subject"] == ["Family", "Anna", "Animals", "Birds", "Grey heron"]
    assert found["XMP-lr:HierarchicalSubject"] == ["People|Family|Anna",
                                                   "Animals|Birds|Grey heron"]
    assert found["XMP-digiKam:TagsList"] == ["People/Family/Anna", "Animals/Birds/Grey heron"]
    second = ph.exiv2_read(photo)
    assert second["Xmp.lr.hierarchicalSubject"] == found["XMP-lr:HierarchicalSubject"]
    assert second["Xmp.digiKam.TagsList"] == found["XMP-digiKam:TagsList"]

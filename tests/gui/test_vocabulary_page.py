"""Settings > Vocabulary: import a Lightroom export or the open folder's keywords, the tree,
search, activate and remove (with a non-modal confirmation)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QMessageBox, QTreeWidgetItem

from imageworks_gui.gui.vocabulary_page import VocabularyPage
from imageworks_gui.services.vocabulary_store import VocabularyStore
from tests.gui.conftest import wait_for
from tests.gui.tagging_support import exiftool_set, make_photos

LIGHTROOM = ("[Animals]\n\tBirds\n\t\tGrey heron\n\t\t\t{heron}\n\t\t\t{Ardea cinerea}\n"
             "\tCats\n\t\tJaguar\n[People]\n\t<b>Anna</b>\n~Cars\n\tAC/DC tour bus\n")


def lightroom_file(folder: Path, name: str = "Keywords.txt") -> Path:
    path = folder / name
    path.write_bytes(b"\xef\xbb\xbf" + LIGHTROOM.replace("\n", "\r\n").encode("utf-8"))
    return path


@pytest.fixture
def page(qtbot, context):
    widget = VocabularyPage(context.spawn)
    qtbot.addWidget(widget)
    widget.resize(560, 480)
    widget.show()
    return widget


def shown(tooltip: str) -> str:
    """A tool tip as the user reads it (Qt renders rich text)."""
    document = QTextDocument()
    document.setHtml(tooltip)
    return document.toPlainText()


def tree_lines(item: QTreeWidgetItem, depth: int = 0, visible_only: bool = False) -> list[str]:
    lines = []
    for i in range(item.childCount()):
        child = item.child(i)
        if visible_only and child.isHidden():
            continue
        synonyms = f"  {{{child.text(1)}}}" if child.text(1) else ""
        lines.append("  " * depth + child.text(0) + synonyms)
        lines.extend(tree_lines(child, depth + 1, visible_only))
    return lines


def test_import_a_lightroom_export_shows_the_tree(page, tmp_path, run):
    assert run(page.import_file(lightroom_file(tmp_path)))
    top = page.tree.topLevelItem(0)
    assert top.text(0) == "Keywords" and top.checkState(0) == Qt.CheckState.Checked
    assert top.text(1) == "7 keyword(s)"
    assert shown(top.toolTip(0)).startswith("7 keyword(s), 2 synonym(s), 2 container(s)\n"
                                            "lightroom format, from ")
    anna = top.child(2).child(0)
    assert anna.text(0) == "<b>Anna</b>" and shown(anna.toolTip(0)) == "People|<b>Anna</b>"
    assert tree_lines(top) == [
        "[Animals]", "  Birds", "    Grey heron  {heron, Ardea cinerea}", "  Cats",
        "    Jaguar", "Cars", "  AC/DC tour bus", "[People]", "  <b>Anna</b>"]
    assert "Imported “Keywords” from" in page.status.text()
    assert page.status.textFormat() == Qt.TextFormat.PlainText
    assert [v.name for v in VocabularyStore().active()] == ["Keywords"]
    # The same file again gets its own name instead of replacing the first.
    assert run(page.import_file(lightroom_file(tmp_path)))
    assert [v.name for v in VocabularyStore().load_all()[0]] == ["Keywords", "Keywords (2)"]


def test_hostile_file_names_still_give_a_usable_name(page, tmp_path, run):
    path = lightroom_file(tmp_path, " -rf\nlist\t<b>.txt")
    assert run(page.import_file(path)), page.status.text()
    assert [v.name for v in VocabularyStore().load_all()[0]] == ["-rf list <b>"]
    assert page.tree.topLevelItem(0).text(0) == "-rf list <b>"
    raw = tmp_path / "caf\udce9.txt"  # a Latin-1 file name: not UTF-8
    raw.write_bytes(lightroom_file(tmp_path).read_bytes())
    assert run(page.import_file(raw)), page.status.text()
    assert "caf\ufffd" in [v.name for v in VocabularyStore().load_all()[0]]


def test_a_broken_file_is_refused_with_the_line_and_nothing_is_stored(page, tmp_path, run):
    bad = tmp_path / "bad.txt"
    bad.write_text("Animals\n\t\tBirds\n", encoding="utf-8")  # a level skipped
    assert not run(page.import_file(bad))
    text = page.status.text()
    assert text.startswith("Not imported:") and "line 2" in text and str(bad) in text
    assert VocabularyStore().load_all() == ([], [])
    assert not run(page.import_file(tmp_path / "missing.txt"))
    assert "cannot read the file" in page.status.text()


def test_search_shows_matches_with_their_parents(page, tmp_path, run, qtbot):
    run(page.import_file(lightroom_file(tmp_path)))
    top = page.tree.topLevelItem(0)
    page.search.setText("HERON")
    page.apply_search()
    assert tree_lines(top, visible_only=True) == [
        "[Animals]", "  Birds", "    Grey heron  {heron, Ardea cinerea}"]
    assert top.child(0).isExpanded()
    page.search.setText("ardea")  # a synonym finds its keyword
    page.apply_search()
    assert tree_lines(top, visible_only=True)[-1].startswith("    Grey heron")
    page.search.setText("no such word")
    page.apply_search()
    assert top.isHidden()
    page.search.clear()
    page.apply_search()
    assert not top.isHidden() and len(tree_lines(top, visible_only=True)) == 9


def test_deactivate_and_remove_with_a_non_modal_confirmation(page, tmp_path, run):
    run(page.import_file(lightroom_file(tmp_path)))
    store = VocabularyStore()
    page.tree.topLevelItem(0).setCheckState(0, Qt.CheckState.Unchecked)
    run(wait_for(lambda: not store.get("Keywords").active))
    run(wait_for(lambda: "is now inactive" in page.status.text()))
    assert page.tree.topLevelItem(0).checkState(0) == Qt.CheckState.Unchecked

    page.tree.setCurrentItem(page.tree.topLevelItem(0).child(0).child(0))  # a term
    assert page.selected_name() == "Keywords"
    page.confirm_remove()
    box = page.confirm_box
    # open(), not exec(): the box is shown and this call has already returned.
    assert box is not None and box.isVisible()
    assert box.windowModality() != Qt.WindowModality.ApplicationModal
    box.button(QMessageBox.StandardButton.Cancel).click()
    run(wait_for(lambda: not box.isVisible()))
    assert store.get("Keywords")  # still there
    page.confirm_remove()
    remove = next(b for b in page.confirm_box.buttons() if b.text() == "Remove")
    remove.click()
    run(wait_for(lambda: page.tree.topLevelItemCount() == 0))
    assert store.load_all() == ([], [])
    assert "Removed “Keywords”" in page.status.text()
    assert tmp_path.joinpath("Keywords.txt").exists()  # the imported file is not touched


def test_keywords_of_the_open_folder_become_a_vocabulary(window, tmp_path, run):
    ws = window.tagging
    folder = tmp_path / "Shoot é"
    photos = make_photos(folder, ("red", "blue"))
    exiftool_set(photos[0], "-XMP-dc:Subject=fog", "-XMP-lr:HierarchicalSubject=Places|Lake")
    exiftool_set(photos[1], "-XMP-digiKam:TagsList=Animals/Birds/Heron")
    page = VocabularyPage(window.context.spawn, ws.controller.vocabularies.open_photos)
    assert not run(page.import_open_folder())
    assert "No folder is open" in page.status.text()
    run(ws.controller.open_paths([folder]))
    assert run(page.import_open_folder())
    top = page.tree.topLevelItem(0)
    assert top.text(0) == "Shoot é"
    assert tree_lines(top) == ["Animals", "  Birds", "    Heron", "fog", "Places", "  Lake"]
    assert "from 2 photo(s)" in page.status.text()


def test_settings_dialog_has_the_vocabulary_page_and_mode(window, run, tmp_path):
    window.open_settings()
    dialog = window.settings_dialog
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert "Vocabulary" in titles
    page = dialog.tabs.widget(titles.index("Vocabulary")).findChild(VocabularyPage)
    assert page is not None
    assert run(page.import_file(lightroom_file(tmp_path)))
    # The review pane's "Add to vocabulary" menu follows what the page changed.
    pane = window.tagging.review_pane
    run(wait_for(lambda: pane.vocabulary_names == ["Keywords"]))
    page.tree.topLevelItem(0).setCheckState(0, Qt.CheckState.Unchecked)
    run(wait_for(lambda: pane.vocabulary_names == []))
    dialog.editors[("vocabulary", "mode")].setCurrentText("strict")
    dialog.try_accept()
    assert window.context.settings.vocabulary.mode == "strict"

"""Settings > Prompt profiles: duplicate, edit with live validation, save, versions, and a trial
of the unsaved profile against a real loopback model server."""

from __future__ import annotations

import asyncio
import json

import pytest

from imageworks_gui.core.prompts import PromptProfile
from imageworks_gui.gui.context import build_context
from imageworks_gui.gui.prompt_profiles_page import PromptProfilesPage, profiles_page_for
from imageworks_gui.gui.settings_dialog import SettingsDialog
from imageworks_gui.services.prompt_profiles import load_prompt_profile, user_profiles_dir
from tests.gui.conftest import wait_for
from tests.gui.tagging_support import make_photos, write_registry
from tests.support.ports import closed_port


@pytest.fixture
def page(qtbot, context, tmp_path, run):
    photo = make_photos(tmp_path / "photos", ("green",))[0]
    widget = profiles_page_for(context, lambda: str(photo))
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    run(widget.reload("default"))
    return widget


def item_texts(page: PromptProfilesPage) -> list[str]:
    return [page.list.item(i).text() for i in range(page.list.count())]


def test_duplicate_edit_validate_save_and_reload(page, run):
    assert page.current == "default"
    assert run(page.duplicate("my-default"))
    assert page.current == "my-default"
    assert item_texts(page) == ["archive  (shipped)", "default  (shipped)",
                                "my-default  (yours)", "stock  (shipped)"]
    editor = page.editor
    saved_hash = load_prompt_profile("my-default").sha256
    assert page.hash_label.text() == f"Profile hash {saved_hash[:12]}"
    assert not page.save_button.isEnabled()

    # Every problem is shown next to its field, and Save stays disabled while any is left.
    editor.language.setText("klingon")
    editor.min_keywords.setValue(12)
    editor.max_keywords.setValue(4)
    keywords = editor.stages["keywords"]
    keywords.user.setPlainText("List {max_keyword} keywords.")
    editor.stages["caption"].user.setPlainText("")
    assert editor.errors["language"].text().startswith("unknown language code 'klingon'")
    assert editor.errors["max_keywords"].text() == ("fewest keywords (12) is larger than "
                                                    "most keywords (4)")
    assert keywords.errors["user"].text() == ("unknown placeholder(s) max_keyword; allowed: "
                                              "caption, keywords, max_keywords, min_keywords")
    assert editor.stages["caption"].errors["user"].text() == (
        "required: write the instruction the model gets")
    assert [editor.stage_tabs.tabText(i) for i in range(3)] == [
        "Caption (!)", "Keywords (!)", "Description"]
    assert not page.save_button.isEnabled()
    assert page.hash_label.text().endswith("(fix the marked fields)")

    editor.language.setText("de")
    editor.min_keywords.setValue(3)
    keywords.user.setPlainText("List {min_keywords} to {max_keywords} keywords.")
    keywords.temperature.setValue(0.7)
    editor.stages["caption"].user.setPlainText("One short title.")
    editor.description.setText("Mine <b>not bold</b>")
    assert editor.problems() == []
    assert page.save_button.isEnabled()
    edited_hash = editor.profile().sha256
    assert edited_hash != saved_hash
    assert page.hash_label.text() == f"Profile hash {edited_hash[:12]} (unsaved)"

    assert run(page.save())
    on_disk = load_prompt_profile("my-default")
    assert on_disk.sha256 == edited_hash
    assert (on_disk.language, on_disk.min_keywords, on_disk.max_keywords) == ("de", 3, 4)
    assert on_disk.stages["keywords"].user == "List {min_keywords} to {max_keywords} keywords."
    assert on_disk.stages["keywords"].temperature == 0.7
    assert on_disk.description == "Mine <b>not bold</b>"
    # The unchanged stage keeps its top_p, which the editor does not show.
    assert on_disk.stages["description"] == load_prompt_profile("default").stages["description"]
    assert page.hash_label.text() == f"Profile hash {edited_hash[:12]}"
    assert not page.dirty

    # A fresh page reads the same profile back from disk.
    run(page.reload("my-default"))
    assert page.editor.profile() == on_disk


def test_editing_a_shipped_profile_saves_an_override_and_delete_brings_it_back(page, run):
    shipped = load_prompt_profile("stock")
    assert page.select("stock")
    assert not page.delete_button.isEnabled()
    page.editor.description.setText("Tuned for my agency")
    assert run(page.save())
    assert "stock  (yours, replaces shipped)" in item_texts(page)
    assert load_prompt_profile("stock").description == "Tuned for my agency"
    assert page.delete_button.isEnabled()
    assert run(page.delete("stock"))
    assert page.message.text == ("Deleted your changes to 'stock': the shipped profile "
                                 "'stock' is used again.")
    assert load_prompt_profile("stock") == shipped
    assert "stock  (shipped)" in item_texts(page)


def test_version_restore_brings_back_the_earlier_text_and_hash(page, run):
    assert run(page.duplicate("mine"))
    first = load_prompt_profile("mine")
    page.editor.stages["caption"].system.setPlainText("Be terse.")
    assert run(page.save())
    second = load_prompt_profile("mine")
    assert second.sha256 != first.sha256
    versions = page.store.versions("mine")
    assert [v.hash8 for v in versions] == [first.sha256[:8]]
    page.ask_version = lambda offered: offered[0]
    page.versions_button.click()
    run(wait_for(lambda: load_prompt_profile("mine") == first))  # the restore runs as a task
    run(wait_for(lambda: page.editor.stages["caption"].system.toPlainText()
                 == first.stages["caption"].system))
    assert page.hash_label.text() == f"Profile hash {first.sha256[:12]}"
    assert [v.hash8 for v in page.store.versions("mine")] == [second.sha256[:8],
                                                              first.sha256[:8]]


def test_unsaved_changes_are_asked_about_when_switching(page, run):
    page.editor.description.setText("changed")
    answers = ["cancel"]
    page.ask_unsaved = lambda: answers.pop(0)
    page.select("stock")
    assert page.current == "default" and page.editor.description.text() == "changed"
    assert page.list.currentItem().text() == "default  (shipped)"
    answers.append("discard")
    assert page.select("stock")
    assert page.editor.description.text() == load_prompt_profile("stock").description
    assert not (user_profiles_dir() / "default.json").exists()


def test_closing_settings_with_unsaved_changes_asks(context, qtbot, run):
    page = profiles_page_for(context, lambda: None)  # owned (and deleted) by the dialog
    dialog = SettingsDialog(context.settings, profiles_page=page)
    run(page.reload("default"))
    qtbot.addWidget(dialog)
    dialog.show()
    page.editor.description.setText("changed")
    page.ask_unsaved = lambda: "cancel"
    dialog.reject()
    assert dialog.isVisible()
    page.ask_unsaved = lambda: "save"
    dialog.reject()
    assert not dialog.isVisible()
    assert load_prompt_profile("default").description == "changed"
    assert dialog.tabs.tabText(dialog.tabs.count() - 1) == "Prompt profiles"


def test_a_new_profile_can_be_chosen_in_the_same_dialog(context, qtbot, run):
    page = profiles_page_for(context, lambda: None)
    dialog = SettingsDialog(context.settings, profiles_page=page)
    qtbot.addWidget(dialog)
    run(page.reload("archive"))
    assert run(page.duplicate("family"))
    combo = dialog.editors[("tagging", "prompt_profile")]
    assert "family" in [combo.itemText(i) for i in range(combo.count())]
    combo.setCurrentText("family")
    dialog.try_accept()
    assert dialog.result_settings().tagging.prompt_profile == "family"
    assert dialog.error.isHidden()


@pytest.fixture
def served_page(qtbot, tmp_path, fake_backend, run, qloop):
    backend = fake_backend("vllm")
    registry = write_registry(tmp_path / "model_registry.json", backend)
    ctx = build_context(registry)
    ctx.settings.backend.max_retries = 0
    ctx.registry.load()
    photo = make_photos(tmp_path / "photos", ("green",))[0]
    widget = profiles_page_for(ctx, lambda: str(photo))
    qtbot.addWidget(widget)
    widget.show()
    run(widget.reload("default"))
    yield widget, backend, photo
    run(ctx.shutdown())
    run(ctx.http.aclose())


def test_trying_the_unsaved_profile_shows_the_model_answers(served_page, run):
    page, backend, photo = served_page
    trial = page.trial
    assert [trial.models.itemText(i) for i in range(trial.models.count())] == ["fake-vision"]
    assert trial.photo_label.text() == str(photo)
    before = photo.read_bytes()
    page.editor.stages["caption"].user.setPlainText("Give this photo a caption, unsaved.")
    result = run(trial.run_trial())
    assert result is not None and result.errors == {}
    text = trial.output.toPlainText()
    assert text.splitlines()[0] == (f"Model fake-vision, profile hash "
                                    f"{page.editor.profile().sha256[:12]}")
    assert "Caption: A green photograph" in text
    assert "Keywords: green, green tones, test pattern\n" in text  # GREEN: same word
    assert "Description: A photograph filled mostly with green." in text
    assert any("caption, unsaved" in r.prompt for r in backend.records)
    assert photo.read_bytes() == before  # nothing written to the photo
    assert not (user_profiles_dir() / "default.json").exists()


def test_a_trial_can_be_cancelled(served_page, run):
    page, backend, _ = served_page
    trial = page.trial
    backend.hold((640, 480))

    async def cancel_while_held():
        task = asyncio.ensure_future(trial.run_trial())
        await wait_for(lambda: trial.cancel_button.isEnabled())
        trial.cancel_button.click()
        return await task

    assert run(cancel_while_held()) is None
    backend.release()
    assert trial.output.toPlainText() == "Cancelled: no answer was kept."
    assert trial.try_button.isEnabled() and not trial.cancel_button.isEnabled()


def test_server_down_says_so(qtbot, tmp_path, run, context):
    port = closed_port()
    registry = tmp_path / "down.json"
    registry.write_text(json.dumps([{
        "name": "down-vision", "backend": "vllm",
        "backend_config": {"port": port}, "capabilities": {"vision": True},
        "roles": ["caption"]}]), encoding="utf-8")
    ctx = build_context(registry)
    ctx.settings.backend.max_retries = 0
    ctx.registry.load()
    photo = make_photos(tmp_path / "photos", ("red",))[0]
    page = profiles_page_for(ctx, lambda: None)
    qtbot.addWidget(page)
    run(page.reload("default"))
    trial = page.trial
    assert not trial.try_button.isEnabled()  # no photo selected yet
    trial.pick(photo)
    assert trial.try_button.isEnabled()
    result = run(trial.run_trial())
    assert set(result.errors) == {"server"}
    text = trial.output.toPlainText()
    assert "The server did not answer: " in text and str(port) in text
    run(ctx.shutdown())
    run(ctx.http.aclose())


def test_profile_hash_changes_with_the_text(page):
    first = page.editor.profile()
    page.editor.stages["description"].user.setPlainText(
        first.stages["description"].user + " ")
    second = page.editor.profile()
    assert isinstance(second, PromptProfile) and second.sha256 != first.sha256
    page.editor.stages["description"].user.setPlainText(first.stages["description"].user)
    assert page.editor.profile().sha256 == first.sha256


def test_a_broken_user_file_is_listed_with_its_problem(qtbot, context, run):
    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "archive.json").write_text("{not json", encoding="utf-8")
    widget = profiles_page_for(context, lambda: None)
    qtbot.addWidget(widget)
    run(widget.reload("archive"))
    assert "archive  (yours, replaces shipped)  cannot be read" in item_texts(widget)
    assert "is not valid JSON" in widget.message.text
    assert not widget.editor.isEnabled() and not widget.save_button.isEnabled()
    assert (folder / "archive.json").read_text(encoding="utf-8") == "{not json"

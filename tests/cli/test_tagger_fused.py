"""`run` asks once per photo when one model serves every stage; the output says which mode ran."""

from __future__ import annotations

from imageworks_gui.core.tagging import from_journal_line
from tests.cli.test_tagger_run import invoke, write_registry
from tests.support.fake_backend import FakeModel
from tests.support.tagging import make_photos, registry_entry


def journal(path):
    return [from_journal_line(line) for line in path.read_text().splitlines()]


def test_one_request_per_photo_by_default(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("vlm")])
    photos = make_photos(tmp_path / "IMG[1] é", 3, size=(800, 600))
    registry = write_registry(tmp_path / "r.json", registry_entry(server.base_url, "vlm"))
    code, output = invoke("-i", photos[0].parent, "--registry-path", registry, "--dry-run",
                          "--skip-preflight", "--output-jsonl", tmp_path / "o.jsonl",
                          "--summary", tmp_path / "s.md")
    assert code == 0, output
    assert "Requests: one per photo (fused)" in output
    assert "Request mode: fused (one request per photo) for 3 photo(s)." in output
    assert "Model requests: 3, 1.00 per photo" in output
    assert server.chat_count() == 3 and all(r.fused for r in server.records)
    assert {r.request_mode for r in journal(tmp_path / "o.jsonl")} == {"fused"}
    assert "Request mode: fused (one request per photo) for 3 photo(s)." in (
        tmp_path / "s.md").read_text()


def test_a_field_that_fails_is_counted_in_the_output(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("vlm", fused_style="bad_keywords")])
    photos = make_photos(tmp_path / "p", 2, size=(800, 600))
    registry = write_registry(tmp_path / "r.json", registry_entry(server.base_url, "vlm"))
    code, output = invoke("-i", photos[0].parent, "--registry-path", registry, "--dry-run",
                          "--skip-preflight", "--output-jsonl", tmp_path / "o.jsonl")
    assert code == 0, output
    assert "fused+fallback" in output and "fell back: keywords 2." in output
    assert "Model requests: 4, 2.00 per photo" in output
    records = journal(tmp_path / "o.jsonl")
    assert all(set(r.fallback) == {"keywords"} and r.keywords[0] in ("red", "green")
               for r in records)


def test_no_fused_and_different_models_ask_each_stage(tmp_path, fake_backend):
    server = fake_backend("vllm", [FakeModel("vlm"), FakeModel("other")])
    photos = make_photos(tmp_path / "p", 2, size=(800, 600))
    registry = write_registry(tmp_path / "r.json", registry_entry(server.base_url, "vlm"))
    code, output = invoke("-i", photos[0].parent, "--registry-path", registry, "--dry-run",
                          "--skip-preflight", "--no-fused", "--output-jsonl", tmp_path / "a.jsonl")
    assert code == 0, output
    assert "Requests: one per stage (separate)" in output and server.chat_count() == 6
    code, output = invoke("-i", photos[0].parent, "--base-url", server.base_url,
                          "--caption-model", "other", "--keyword-model", "vlm",
                          "--description-model", "vlm", "--dry-run", "--skip-preflight",
                          "--output-jsonl", tmp_path / "b.jsonl")
    assert code == 0, output
    assert "Request mode: separate (one request per stage) for 2 photo(s)." in output
    assert server.chat_count() == 12 and not any(r.fused for r in server.records)
    code, output = invoke("-i", photos[0].parent, "--base-url", server.base_url,
                          "--caption-model", "vlm", "--keyword-model", "vlm",
                          "--description-model", "vlm", "--dry-run", "--skip-preflight",
                          "--output-jsonl", tmp_path / "c.jsonl")
    assert code == 0 and server.chat_count() == 14  # one served model: asked once per photo

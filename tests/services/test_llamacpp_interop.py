"""Interop with a real llama.cpp server (llama-cpp-python) serving a tiny random text-only model."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from imageworks_gui.core.keyword_constraint import plan_constraint
from imageworks_gui.core.prompts import StagePrompt
from imageworks_gui.core.registry import RegistryEntry
from imageworks_gui.core.settings import Settings, VocabularySettings
from imageworks_gui.core.vocabulary import Vocabulary, VocabularyTerm
from imageworks_gui.services.backends import (
    BackendClient,
    BackendRequestError,
    discover_backends,
    probe_entry,
)
from imageworks_gui.services.pipeline import PreflightError, TaggingPipeline
from imageworks_gui.services.pipeline.stages import StageError, run_keywords_stage

pytestmark = pytest.mark.interop

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install -e "
                    "'.[interop]'; make test installs it)")
gguf = pytest.importorskip("gguf", reason="the gguf package is not installed")
np = pytest.importorskip("numpy")

ALIAS = "tiny-llama"


def write_tiny_llama(path: Path) -> None:
    """A one-layer llama with random weights and a byte-level gpt2 vocabulary (~70 kB)."""
    vocab = ["<s>", "</s>", "<unk>"] + [chr(c) for c in range(32, 127)] + ["re", "ed"]
    n_vocab, n_embd, n_ff, n_head = len(vocab), 32, 64, 4
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("tiny-random-llama")
    w.add_context_length(2048)
    w.add_embedding_length(n_embd)
    w.add_block_count(1)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(vocab)
    w.add_token_types([gguf.TokenType.CONTROL] * 3 + [gguf.TokenType.NORMAL] * (n_vocab - 3))
    w.add_token_merges(["r e", "e d"])  # the gpt2 tokenizer needs at least one merge
    w.add_bos_token_id(0)
    w.add_eos_token_id(1)
    w.add_chat_template("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n"
                        "{% endfor %}assistant:")
    rng = np.random.default_rng(0)

    def weight(name: str, *shape: int) -> None:
        w.add_tensor(name, (rng.standard_normal(shape) * 0.02).astype(np.float32))

    weight("token_embd.weight", n_vocab, n_embd)
    w.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    weight("output.weight", n_vocab, n_embd)
    w.add_tensor("blk.0.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
    for part in ("q", "k", "v", "output"):
        weight(f"blk.0.attn_{part}.weight", n_embd, n_embd)
    w.add_tensor("blk.0.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
    weight("blk.0.ffn_gate.weight", n_ff, n_embd)
    weight("blk.0.ffn_up.weight", n_ff, n_embd)
    weight("blk.0.ffn_down.weight", n_embd, n_ff)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("llama")
    model = folder / "tiny.gguf"
    write_tiny_llama(model)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--model_alias", ALIAS, "--n_ctx", "2048", "--n_threads", "1",
         "--verbose", "false"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "OMP_NUM_THREADS": "1"})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail("llama_cpp.server exited: "
                            + (folder / "server.log").read_text(errors="replace")[-2000:])
            try:
                if httpx.get(f"{base}/v1/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not start within 90 s")
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def entry(port: int) -> RegistryEntry:
    return RegistryEntry.model_validate({
        "name": "tiny-text-only", "backend": "gguf", "backend_config": {"port": port},
        "capabilities": {"text": True, "vision": True},  # wrongly claims vision
        "model_aliases": ["not-served", ALIAS],
        "roles": ["caption", "keywords", "description"]})


async def test_listing_and_served_name_from_aliases(http, llama_server):
    client = BackendClient(http, entry(llama_server), Settings().backend)
    assert await client.list_models() == [ALIAS]
    assert await client.resolve_served_name() == ALIAS
    found = await discover_backends(http, ports=[llama_server])
    assert [m.served_name for m in found] == [ALIAS]
    assert found[0].to_registry_entry().backend_config.port == llama_server


async def test_text_chat_and_usage(http, llama_server):
    client = BackendClient(http, entry(llama_server), Settings().backend)
    result = await client.chat([{"role": "user", "content": "Say OK."}], max_tokens=6)
    assert result.text  # gibberish, but an answer
    assert result.completion_tokens == 6 and result.attempts == 1


async def test_real_error_body_is_parsed_and_not_retried(http, llama_server):
    client = BackendClient(http, entry(llama_server), Settings().backend)
    with pytest.raises(BackendRequestError) as info:
        await client.chat([{"role": "user", "content": "word " * 2500}], max_tokens=8)
    assert "maximum context length is 2048 tokens" in str(info.value)
    assert info.value.status_code == 400


async def test_vision_probe_flags_the_text_only_model_as_blind(http, llama_server):
    report = await probe_entry(http, entry(llama_server), Settings())
    assert report.online and report.served_listed and report.text_ok
    assert report.ttft_ms is not None
    assert report.vision_ok is False and not report.ok
    # It ignored the images and answered anyway: the answers are gibberish, not colours.
    assert set(report.vision_answers) == {"red", "blue"}
    assert all(not a.startswith("refused") for a in report.vision_answers.values())
    assert "did not pass the vision probe: it does not seem to see images" in report.message


async def test_preflight_stops_a_run_on_the_blind_model(http, llama_server):
    pipeline = TaggingPipeline(http, [entry(llama_server)], Settings())
    with pytest.raises(PreflightError, match="tiny-text-only"):
        await pipeline.preflight()


# A 1x1 PNG: the text-only model reads the data URL as text, so it must stay short.
TINY_IMAGE = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4"
              "nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")
BIRDS = Vocabulary(name="birds", format="text", terms=[
    VocabularyTerm(path=("Animals",)), VocabularyTerm(path=("Animals", "Heron"),
                                                      synonyms=("Ardea",)),
    VocabularyTerm(path=("Animals", "Swan")), VocabularyTerm(path=("Water",)),
    VocabularyTerm(path=("Water", "Lake")), VocabularyTerm(path=("Sky",))])
KEYWORD_PROMPT = StagePrompt(user="List up to {max_keywords} keywords as JSON.",
                             max_tokens=160, temperature=1.0, top_p=1.0)


async def test_constrained_keywords_are_vocabulary_terms_even_from_a_random_model(
        http, llama_server):
    constraint = plan_constraint([BIRDS], "strict", VocabularySettings())
    assert constraint.enum == ("Animals", "Water", "Sky", "Heron", "Swan", "Lake")
    client = BackendClient(http, entry(llama_server), Settings().backend)
    answers = [await run_keywords_stage(client, KEYWORD_PROMPT, TINY_IMAGE, 3, [],
                                        constraint=constraint) for _ in range(3)]
    for keywords in answers:
        assert keywords, answers
        assert set(keywords) <= set(constraint.enum), answers
        assert len(keywords) <= 3


async def test_without_the_enum_the_random_model_answers_outside_the_vocabulary(
        http, llama_server):
    # The control for the test above: the same model, schema without an enum.
    client = BackendClient(http, entry(llama_server), Settings().backend)
    terms = {t.name for t in BIRDS.terms}
    for _ in range(3):
        try:
            keywords = await run_keywords_stage(client, KEYWORD_PROMPT, TINY_IMAGE, 3, [])
        except StageError:
            continue  # no usable keywords at all: certainly none from the vocabulary
        assert not set(keywords) <= terms, keywords


async def test_a_combined_request_is_accepted_and_checked_field_by_field(http, llama_server,
                                                                         tmp_path):
    from tests.support.tagging import make_photos

    results = []
    pipeline = TaggingPipeline(http, [entry(llama_server)], Settings(), backoff_base_s=0.01)
    assert pipeline.request_mode == "fused"
    await pipeline.run(make_photos(tmp_path, 1, size=(320, 240)), on_result=results.append)
    [result] = results
    # llama-cpp-python takes the schema in its json_object form and turns it into a grammar,
    # so the combined request is accepted (never refused) and each field is then checked: a
    # field the random model filled badly is asked again on its own, with the reason kept.
    assert pipeline._fused is not None and not pipeline._fused.schema_refused
    assert result.request_mode in ("fused", "fused+fallback"), result.request_mode
    assert set(result.fallback) <= {"caption", "keywords", "description"}
    assert all(result.fallback.values())
    assert all("response_format" not in e for e in result.errors.values())

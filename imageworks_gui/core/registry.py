"""Registry schema: pydantic models for model_registry.json entries.

Every model keeps unknown keys (``extra="allow"``) so they survive a load/save round trip at the
same place, and the registry is serialised with ``exclude_unset`` so that a field absent from the
file stays absent and an explicit ``null`` stays ``null``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from imageworks_gui.core.as_written import OpenModel as _Open
from imageworks_gui.core.as_written import json_type, nesting_depth

KNOWN_BACKENDS: tuple[str, ...] = ("vllm", "ollama", "gguf", "lmdeploy", "lmstudio")
"""Backends the app knows how to talk to; other strings load with a warning."""

DEFAULT_PORTS: dict[str, int] = {
    "vllm": 8000,
    "ollama": 11434,
    "lmdeploy": 23333,
    "gguf": 8080,
    "llamacpp": 8080,
    "lmstudio": 1234,
}
"""Default port of each backend's OpenAI-compatible server (``llamacpp`` is an alias of
``gguf``). URLs and start commands built from it live in ``services.backends.endpoints``."""

KNOWN_ROLES: tuple[str, ...] = ("caption", "keywords", "description", "title", "alt_text")
"""Roles the GUI offers as checkboxes; entries may carry any other string too."""

KNOWN_CAPABILITIES: tuple[str, ...] = ("text", "vision", "audio", "embedding", "tools")
"""Capability flags the GUI shows as checkboxes; entries may carry others."""

VISION_ROLES: frozenset[str] = frozenset(
    {"caption", "keywords", "description", "title", "alt_text"}
)
"""Roles that need a model which sees images."""

Number = int | float
"""A JSON number kept as written: ``1`` stays ``1`` and ``1.0`` stays ``1.0`` on save."""

MAX_NESTING = 100
"""Deepest nesting of JSON lists/objects a registry may hold (deeper cannot be saved back)."""

MUST_BE_TYPED: frozenset[str] = frozenset({"version_lock.locked", "deprecated"})
"""Fields whose wrong-but-readable JSON type is an error rather than a warning.

They decide which model may run; other tools reading the file (jq, the original scripts) take a
string such as ``"false"`` as true, so every reader must see a real JSON boolean.
"""

class ReplicaEndpoint(_Open):
    """One server of several that serve the same model (``backend_config.endpoints``).

    Written either as a bare URL string or as an object with ``base_url`` (or ``host``/``port``)
    and optional ``max_concurrency`` and ``api_key_env``; fields the replica leaves unset are
    taken from the entry's ``backend_config``. A bare URL is saved back as a bare URL while only
    its ``base_url`` is set.
    """

    base_url: str | None = None
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    max_concurrency: int | None = Field(default=None, ge=1, le=256)
    api_key_env: str | None = None

    _bare_url: bool = PrivateAttr(default=False)

    @model_validator(mode="wrap")
    @classmethod
    def _from_url_string(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if isinstance(data, str):
            if not data.strip():
                raise ValueError("a replica URL must not be empty")
            model = handler({"base_url": data})
            model._bare_url = True
            return model
        return handler(data)

    @model_validator(mode="after")
    def _has_address(self) -> ReplicaEndpoint:
        if not (self.base_url or self.host or self.port):
            raise ValueError("a replica needs base_url, or host and/or port")
        return self

    @property
    def bare_url(self) -> bool:
        """True when the file wrote this replica as a plain URL string."""
        return self._bare_url

    @model_serializer(mode="wrap")
    def _save_replica(self, handler: SerializerFunctionWrapHandler,
                      info: SerializationInfo) -> Any:
        data = self._save_as_written(handler, info)
        if self._bare_url and isinstance(data, dict) and set(data) == {"base_url"}:
            return data["base_url"]
        return data


class BackendConfig(_Open):
    """How to reach the server that serves the model."""

    port: int | None = Field(default=None, ge=1, le=65535)
    model_path: str | None = None
    extra_args: list[str] = Field(default_factory=list)
    host: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    """Name of an environment variable holding the API key (the key itself is never stored)."""
    max_concurrency: int | None = Field(default=None, ge=1, le=256)
    """In-flight request limit for this endpoint (the settings default applies when unset)."""
    endpoints: list[ReplicaEndpoint] | None = None
    """Replicas serving this same model (several GPUs or machines); when set, requests are spread
    over them and the single-endpoint fields above are each replica's defaults."""


class Capabilities(_Open):
    """Capability flags, kept exactly as written (a missing flag is simply absent)."""

    text: bool | None = None
    vision: bool | None = None
    audio: bool | None = None
    embedding: bool | None = None
    tools: bool | None = None

    def has(self, capability: str) -> bool:
        """True when the flag is present and true."""
        return bool(self.as_dict().get(capability, False))

    def as_dict(self) -> dict[str, bool]:
        """All flags that are present (including unknown ones), in file order."""
        data = self.model_dump(exclude_unset=True)
        return {k: bool(v) for k, v in data.items() if v is not None}


class GenerationDefaults(_Open):
    """Sampling defaults sent with every request to this model."""

    max_tokens: int | None = Field(default=None, ge=1)
    temperature: Number | None = Field(default=None, ge=0)
    top_p: Number | None = Field(default=None, gt=0, le=1)


class ArtifactFile(_Open):
    """One tracked file of a model snapshot."""

    path: str
    sha256: str


class Artifacts(_Open):
    """The tracked file set of a model and its aggregate hash."""

    aggregate_sha256: str | None = None
    files: list[ArtifactFile] = Field(default_factory=list)
    include: list[str] | None = None
    """Optional glob patterns (POSIX relative paths) a file must match to be tracked."""
    exclude: list[str] | None = None
    """Optional glob patterns of files never tracked, on top of the built-in ignore list."""


class ChatTemplate(_Open):
    """Where the chat template comes from."""

    source: str | None = None
    path: str | None = None
    sha256: str | None = None


class VerificationRecord(_Open):
    """Outcome of the last verification of an entry's files (Imageworks addition).

    ``status`` is ``verified`` (matches the lock or no lock), ``drifted`` (locked and the aggregate
    differs: selection refuses the entry) or ``error`` (the files could not be hashed).
    """

    status: str
    checked_at: str | None = None
    actual_aggregate_sha256: str | None = None
    changed: list[str] = Field(default_factory=list)
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    message: str | None = None


class VersionLock(_Open):
    """Hash lock over the model's files."""

    locked: bool = False
    expected_aggregate_sha256: str | None = None
    last_verified: str | None = None
    last_verification: VerificationRecord | None = None


class Performance(_Open):
    """Rolling performance figures recorded by probes."""

    rolling_samples: int | None = None
    ttft_ms_avg: Number | None = None
    throughput_toks_per_s_avg: Number | None = None
    last_sample: dict[str, Any] | None = None


class VisionProbe(_Open):
    """Result of the last vision probe."""

    vision_ok: bool | None = None
    timestamp: str | None = None
    latency_ms: Number | None = None
    notes: str | None = None


class Probes(_Open):
    """Probe results."""

    vision: VisionProbe | None = None


class SourceFile(_Open):
    """One file as recorded from the downloader manifest."""

    path: str
    size: int | None = None
    sha256: str | None = None


class Source(_Open):
    """Where the model came from."""

    huggingface_id: str | None = None
    format: str | None = None
    path: str | None = None
    size_bytes: int | None = None
    directory_checksum: str | None = None
    files: list[SourceFile] = Field(default_factory=list)


class RegistryEntry(_Open):
    """One model in the registry. Field order here is the order keys are saved in."""

    name: str
    display_name: str | None = None
    backend: str
    backend_config: BackendConfig
    capabilities: Capabilities
    generation_defaults: GenerationDefaults | None = None
    artifacts: Artifacts | None = None
    chat_template: ChatTemplate | None = None
    version_lock: VersionLock | None = None
    performance: Performance | None = None
    probes: Probes | None = None
    served_model_id: str | None = None
    model_aliases: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    license: str | None = None
    source: Source | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    deprecated: bool = False
    profiles_placeholder: Any = None

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value or not value.strip():
            raise ValueError("name must not be empty")
        if value != value.strip():
            raise ValueError("name must not start or end with white space")
        return value

    @field_validator("backend")
    @classmethod
    def _backend_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("backend must not be empty")
        return value

    @property
    def label(self) -> str:
        """The name shown to users."""
        return self.display_name or self.name

    @property
    def is_locked(self) -> bool:
        return bool(self.version_lock and self.version_lock.locked)

    @property
    def drifted(self) -> bool:
        """True when the entry is locked and its last verification found different files."""
        vl = self.version_lock
        return bool(
            vl and vl.locked and vl.last_verification and vl.last_verification.status == "drifted"
        )

    @property
    def verification_failed(self) -> bool:
        """True when the entry is locked and its last verification drifted or errored."""
        vl = self.version_lock
        return bool(vl and vl.locked and vl.last_verification
                    and vl.last_verification.status in ("drifted", "error"))

    def to_json_dict(self) -> dict[str, Any]:
        """The entry as saved: schema order, then unknown keys, absent fields left out."""
        return self.model_dump(mode="json", exclude_unset=True)


class RegistryIssue(BaseModel):
    """A problem found while loading a registry (an error, or a warning that still loads)."""

    model_config = ConfigDict(frozen=True)

    severity: str  # "error" | "warning"
    message: str
    index: int | None = None
    name: str | None = None
    field: str | None = None


class RegistryValidationError(ValueError):
    """The registry content is invalid; ``issues`` lists every problem found."""

    def __init__(self, source: str, issues: list[RegistryIssue]) -> None:
        self.source = source
        self.issues = issues
        lines = [f"{source}: invalid model registry ({len(issues)} problem(s))"]
        lines += [f"  - {issue.message}" for issue in issues]
        super().__init__("\n".join(lines))


def _retyped_issues(entry: RegistryEntry, index: int, label: str
                    ) -> tuple[list[RegistryIssue], list[str]]:
    """Errors and warnings for values written with a readable but wrong JSON type."""
    errors: list[RegistryIssue] = []
    warnings: list[str] = []
    for field, raw, typed in entry.as_written():
        shown = json.dumps(typed)
        if isinstance(raw, bool) and not isinstance(typed, bool):
            # ``"port": true`` read as 1 is never what was meant.
            errors.append(RegistryIssue(
                severity="error", index=index, name=entry.name, field=field,
                message=f"{label}: field '{field}': {json.dumps(raw)} is a JSON boolean, but "
                        f"this field must be a JSON {json_type(typed)}: write the value"))
        elif field in MUST_BE_TYPED:
            errors.append(RegistryIssue(
                severity="error", index=index, name=entry.name, field=field,
                message=f"{label}: field '{field}': {json.dumps(raw)} is a JSON "
                        f"{json_type(raw)}, but this field must be a JSON {json_type(typed)} "
                        f"(other tools would read it differently); write {shown} without "
                        "quotes"))
        else:
            warnings.append(f"{label}: field '{field}': {json.dumps(raw)} is a JSON "
                            f"{json_type(raw)}, read as {shown}; it is kept as written: write "
                            f"{shown} to silence this warning")
    return errors, warnings


def entry_number(index: int) -> str:
    """How messages name the entry at list ``index``: ``#N`` as the table's # column shows."""
    return f"#{index + 1}"


def _entry_label(index: int, raw: Any) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    number = entry_number(index)
    return f"entry {number} ({name!r})" if isinstance(name, str) and name else f"entry {number}"


def parse_entries(data: Any, source: str = "registry") -> tuple[list[RegistryEntry], list[str]]:
    """Validate the decoded JSON of a registry file.

    Returns the entries and the warnings (unknown backends). Raises ``RegistryValidationError``
    naming the entry (index and name), the field and the reason for every problem.
    """
    if nesting_depth(data) > MAX_NESTING:
        raise RegistryValidationError(source, [RegistryIssue(
            severity="error", message=f"lists and objects are nested more than {MAX_NESTING} "
            "levels deep; the registry cannot hold (or save back) such data: flatten it")])
    if not isinstance(data, list):
        kind = type(data).__name__
        raise RegistryValidationError(
            source,
            [RegistryIssue(severity="error", message=f"the root must be a JSON list of entries, "
                           f"found a JSON {'object' if kind == 'dict' else kind}")],
        )
    entries: list[RegistryEntry] = []
    issues: list[RegistryIssue] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data):
        label = _entry_label(index, raw)
        if not isinstance(raw, dict):
            issues.append(RegistryIssue(severity="error", index=index,
                                        message=f"{label}: must be a JSON object"))
            continue
        try:
            entry = RegistryEntry.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or "(entry)"
                name = raw.get("name")
                issues.append(RegistryIssue(
                    severity="error", index=index, field=field,
                    name=name if isinstance(name, str) else None,
                    message=f"{label}: field '{field}': {err['msg']}"))
            continue
        if entry.name in seen:
            issues.append(RegistryIssue(
                severity="error", index=index, name=entry.name, field="name",
                message=f"{label}: duplicate name {entry.name!r} (first used by entry "
                        f"{entry_number(seen[entry.name])})"))
            continue
        seen[entry.name] = index
        retyped_errors, retyped_warnings = _retyped_issues(entry, index, label)
        issues.extend(retyped_errors)
        warnings.extend(retyped_warnings)
        if entry.backend not in KNOWN_BACKENDS:
            warnings.append(f"{label}: unknown backend {entry.backend!r} (known: "
                            f"{', '.join(KNOWN_BACKENDS)}); it is kept but may not be reachable")
        entries.append(entry)
    if issues:
        raise RegistryValidationError(source, issues)
    return entries, warnings


def dump_entries(entries: Iterable[RegistryEntry]) -> list[dict[str, Any]]:
    """The JSON-ready list saved to disk, in priority order."""
    return [entry.to_json_dict() for entry in entries]


def find_entry(entries: Iterable[RegistryEntry], name: str) -> RegistryEntry:
    """The entry called ``name``; KeyError with the known names otherwise."""
    items = list(entries)
    for entry in items:
        if entry.name == name:
            return entry
    known = ", ".join(e.name for e in items) or "(registry is empty)"
    raise KeyError(f"no registry entry named {name!r}; known entries: {known}")


def replace_entry(entry: RegistryEntry, **changes: Any) -> RegistryEntry:
    """A new validated entry with top-level fields changed (nested dicts replace sub-models).

    User edits always go through ``model_validate`` so invalid values are refused and the
    changed fields count as set (they are saved).
    """
    data = entry.model_dump(mode="json", exclude_unset=True)
    for key, value in changes.items():
        data[key] = value.model_dump(mode="json", exclude_unset=True) if isinstance(
            value, BaseModel) else value
    return RegistryEntry.model_validate(data)


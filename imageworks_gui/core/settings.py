"""Application settings: one validated pydantic model shared by the GUI, the CLIs and services."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEADLINE_READ_FACTOR = 3.0
"""The default request deadline is this many read timeouts (room for slow first loads)."""


class BackendSettings(BaseModel):
    """HTTP timeouts, retries and default concurrency for model backends."""

    model_config = ConfigDict(extra="allow")

    connect_timeout_s: float = Field(default=5.0, gt=0, le=600)
    read_timeout_s: float = Field(default=300.0, gt=0, le=3600)
    write_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    pool_timeout_s: float = Field(default=10.0, gt=0, le=3600)
    max_retries: int = Field(default=3, ge=0, le=10)
    request_deadline_s: float = Field(default=0.0, ge=0, le=86400)
    """Longest time one request may spend on the wire, over all its attempts, however slowly
    the server trickles bytes; 0 means ``DEADLINE_READ_FACTOR`` times ``read_timeout_s``."""
    default_concurrency: int = Field(default=4, ge=1, le=256)
    max_response_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    replica_cooldown_s: float = Field(default=15.0, ge=0, le=3600)
    """How long a failed replica of a multi-endpoint entry is left out before a health check
    may bring it back."""
    replica_failure_threshold: int = Field(default=3, ge=1, le=100)
    """5xx answers or timeouts in a row after which a replica is left out (a refused or
    dropped connection leaves it out at once)."""

    @property
    def deadline_s(self) -> float:
        """The overall per-request deadline in effect (explicit, else derived)."""
        return self.request_deadline_s or DEADLINE_READ_FACTOR * self.read_timeout_s


class TaggingSettings(BaseModel):
    """How images are prepared and keywords cleaned."""

    model_config = ConfigDict(extra="allow")

    image_long_edge: int = Field(default=1024, ge=224, le=4096)
    jpeg_quality: int = Field(default=90, ge=50, le=100)
    prompt_profile: str = "default"
    max_keywords: int = Field(default=25, ge=1, le=200)
    banned_keywords: list[str] = Field(default_factory=list)
    recursive: bool = True
    golden_margin: float = Field(default=0.05, ge=0.0, le=1.0)
    """How far keyword precision on a golden set may drop (absolute) before a re-run fails."""
    fused: bool = True
    """Ask once per photo (title, keywords and description in one JSON answer) when every
    stage resolves to the same model on the same server."""


class GroupingSettings(BaseModel):
    """Burst grouping: near-duplicate frames shot close together are tagged once."""

    model_config = ConfigDict(extra="allow")

    enabled: bool = True
    max_gap_s: float = Field(default=3.0, ge=0, le=600)
    """Neighbouring frames captured at most this many seconds apart may be one burst."""
    max_hash_distance: int = Field(default=12, ge=0, le=64)
    """...and only when their perceptual hashes differ in at most this many of 64 bits."""


class MetadataSettings(BaseModel):
    """How approved metadata is written into photos and sidecars."""

    model_config = ConfigDict(extra="allow")

    sidecar_style: Literal["adobe", "darktable"] = "adobe"
    """Name used for a new sidecar: IMG_1.xmp (adobe, Capture One) or IMG_1.CR2.xmp (darktable)."""
    sidecar_collision: Literal["per_file", "refuse"] = "per_file"
    """When IMG_1.CR2 shares IMG_1.xmp with another photo (IMG_1.DNG, IMG_1.JPG): write
    IMG_1.CR2.xmp instead (per_file), or write nothing and say why (refuse)."""
    hierarchy_prefix: str | None = None
    """When set (e.g. "AI"), keywords are also written as PREFIX|keyword hierarchical keywords."""
    write_ancestor_keywords: bool = True
    """A hierarchical keyword's ancestors also go to dc:subject and IPTC Keywords (as
    Lightroom's export does); containers never do."""
    write_provenance: bool = True
    overwrite_title: bool = False
    overwrite_description: bool = False
    write_dng_embedded: bool = False
    backup_originals: bool = False
    dry_run_default: bool = False


class VocabularySettings(BaseModel):
    """How proposed keywords are mapped onto the user's vocabularies."""

    model_config = ConfigDict(extra="allow")

    fuzzy_threshold: float = Field(default=88.0, ge=50, le=100)
    """Lowest rapidfuzz ratio (0-100) for a misspelt keyword to map onto a vocabulary term."""
    mode: Literal["suggest", "strict"] = "suggest"
    """suggest: keep keywords outside the vocabulary as new terms; strict: drop them."""
    constrain_max_terms: int = Field(default=500, ge=0, le=5000)
    """Largest vocabulary (distinct preferred names) sent as an enum in the keyword request's
    JSON schema, so the server can only answer with its terms; 0 never constrains."""
    constrain_in_suggest_mode: bool = False
    """Constrain in suggest mode too (the model can then propose no new terms)."""
    shortlist_size: int = Field(default=80, ge=0, le=1000)
    """Most vocabulary terms listed in the keyword prompt; 0 lists none."""


class Settings(BaseModel):
    """All user settings (saved as settings.json in the user config dir)."""

    model_config = ConfigDict(extra="allow")

    backend: BackendSettings = Field(default_factory=BackendSettings)
    tagging: TaggingSettings = Field(default_factory=TaggingSettings)
    grouping: GroupingSettings = Field(default_factory=GroupingSettings)
    metadata: MetadataSettings = Field(default_factory=MetadataSettings)
    vocabulary: VocabularySettings = Field(default_factory=VocabularySettings)

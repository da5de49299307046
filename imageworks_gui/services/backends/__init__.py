"""Model backends: OpenAI-compatible clients, discovery, probes and their typed errors."""

from imageworks_gui.services.backends.adapters import ADAPTERS, adapter_for, base_url_for
from imageworks_gui.services.backends.client import (
    BackendClient,
    ChatResult,
    EndpointLimits,
    timeout_from,
)
from imageworks_gui.services.backends.discover import (
    DiscoveredModel,
    discover_backends,
    with_vision_checked,
)
from imageworks_gui.services.backends.errors import (
    BackendAuthError,
    BackendBusyError,
    BackendError,
    BackendRequestError,
    BackendResponseError,
    BackendServerError,
    BackendTimeoutError,
    BackendUnavailableError,
    ModelNotPulledError,
    ModelNotServedError,
    ResponseTooLargeError,
    VisionProbeError,
)
from imageworks_gui.services.backends.probes import (
    ProbeReport,
    entry_with_probe_results,
    image_message,
    probe_entry,
)

__all__ = [
    "ADAPTERS",
    "BackendAuthError",
    "BackendBusyError",
    "BackendClient",
    "BackendError",
    "BackendRequestError",
    "BackendResponseError",
    "BackendServerError",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "ChatResult",
    "DiscoveredModel",
    "EndpointLimits",
    "ModelNotPulledError",
    "ModelNotServedError",
    "ProbeReport",
    "ResponseTooLargeError",
    "VisionProbeError",
    "adapter_for",
    "base_url_for",
    "discover_backends",
    "entry_with_probe_results",
    "image_message",
    "probe_entry",
    "timeout_from",
    "with_vision_checked",
]

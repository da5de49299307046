"""Helper process for crash tests: starts writing one photo and is SIGKILLed just before the
new version replaces the original (the temp copy is complete, the journal entry open)."""

from __future__ import annotations

import os
import signal
import sys

from imageworks_gui.core.metadata import Proposal
from imageworks_gui.services.metadata import ExifToolPool, MetadataWriter, filewrite


def _killed(*_args: object, **_kwargs: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(path: str) -> None:
    filewrite._install = _killed  # the moment a power cut or a kill is most costly
    with ExifToolPool(size=1) as pool:
        MetadataWriter(pool).write(path, Proposal(path=path, keywords=["never"]))


if __name__ == "__main__":
    main(sys.argv[1])

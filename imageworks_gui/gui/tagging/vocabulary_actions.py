"""The Tagging workspace's vocabulary side: the run's policy, accepting and storing new terms."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from imageworks_gui.core import review as rv
from imageworks_gui.core.vocabulary import VocabularyError
from imageworks_gui.core.vocabulary_mapping import VocabularyPolicy
from imageworks_gui.gui.tagging.state import Severity
from imageworks_gui.services.blocking import run_blocking
from imageworks_gui.services.metadata.exiftool import ExifToolPool
from imageworks_gui.services.vocabulary_policy import vocabulary_policy
from imageworks_gui.services.vocabulary_store import VocabularyStore

if TYPE_CHECKING:
    from imageworks_gui.gui.tagging.controller import TaggingController


def _active_names(store: VocabularyStore) -> list[str]:
    return [v.name for v in store.active()]


class VocabularyActions:
    """Loads the active vocabularies for a run (as the CLI's ``run`` does) and handles the
    "not in your vocabulary" lane; stored vocabularies change only through the store."""

    def __init__(self, ctrl: TaggingController, store: VocabularyStore | None = None) -> None:
        self.ctrl = ctrl
        self.store = store or VocabularyStore()
        self.policy: VocabularyPolicy | None = None
        """The vocabularies and mode of the current (or last) run; None: keywords unmapped."""
        self.names: list[str] = []
        """The active vocabularies, as last read (offered by "Add to vocabulary")."""
        self.on_names: Callable[[list[str]], None] | None = None
        """Told the active vocabularies' names whenever they were read again."""
        self._reads = 0
        """Counts reads of the names: only the latest one started may set them (reads
        finish in any order)."""

    def _set_names(self, names: list[str]) -> None:
        self.names = list(names)
        if self.on_names is not None:
            self.on_names(list(names))

    async def load(self) -> bool:
        """Read the active vocabularies off the UI thread for the next run; False, with the
        reason shown, when they cannot be used (nothing is tagged then)."""
        ctrl = self.ctrl
        problems: list[str] = []
        self._reads += 1
        try:
            self.policy = await run_blocking(vocabulary_policy, ctrl.context.settings, [],
                                             None, self.store, problems)
        except (VocabularyError, OSError) as exc:
            ctrl.notify(Severity.ERROR, f"The keyword vocabularies could not be read: {exc}. "
                                        f"Fix or remove them in Settings > Vocabulary; nothing "
                                        f"was tagged.")
            return False
        for problem in problems:
            ctrl.notify(Severity.WARNING, f"{problem} (this vocabulary is not used)")
        self._set_names(self.policy.names if self.policy is not None else [])
        if self.policy is not None:
            names = ", ".join(f"“{name}”" for name in self.policy.names)
            ctrl.notify(Severity.INFO, f"Keywords are mapped onto your vocabulary {names} "
                                       f"({self.policy.mode} mode).")
        return True

    def open_photos(self) -> tuple[Path, bool, ExifToolPool] | None:
        """The open folder, whether subfolders are included, and the ExifTool pool to read its
        keywords with; None when no folder is open (raises ExifToolError without ExifTool)."""
        ctrl = self.ctrl
        if ctrl.folder is None or not len(ctrl.session):
            return None
        return ctrl.folder, ctrl.recursive, ctrl.writer.service().writer.pool

    def request_names(self) -> None:
        """Read which vocabularies are active now, in the background (at start-up and after
        Settings > Vocabulary changed them); needs the running event loop."""
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop()
            self.ctrl.context.spawn(self.refresh_names(), name="vocabulary-names")

    async def refresh_names(self) -> list[str]:
        """The active vocabularies' names, read off the UI thread."""
        self._reads += 1
        read = self._reads
        try:
            names = await run_blocking(_active_names, self.store)
        except (VocabularyError, OSError):
            names = []
        if read == self._reads:  # an older read finishing late must not undo a newer one
            self._set_names(names)
        return self.names

    def accept(self, path: str, keyword: str) -> bool:
        """Add a keyword from the lane to the photo's keywords (an undoable review edit)."""
        return self.ctrl.edit(path, f"Accept new term “{keyword}”", rv.add_keyword, keyword)

    async def add_to_vocabulary(self, path: str, keyword: str, name: str) -> bool:
        """Store ``keyword`` as a term of vocabulary ``name`` and accept it for the photo."""
        ctrl = self.ctrl
        try:
            await run_blocking(self.store.add_term, name, keyword)
        except (VocabularyError, OSError) as exc:
            ctrl.notify(Severity.ERROR, f"“{keyword}” was not added to the vocabulary: {exc}")
            return False
        review = ctrl.session.get(path) if path in ctrl.session else None
        if review is not None and rv.keyword_present(review, keyword) is None:
            self.accept(path, keyword)
        ctrl.notify(Severity.INFO, f"Added “{keyword}” to your vocabulary “{name}”: the next "
                                   f"runs map it there.")
        return True

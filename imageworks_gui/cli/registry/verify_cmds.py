"""`verify`, `lock` and `unlock`: hash model files and manage version locks."""

from __future__ import annotations

import contextlib

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from imageworks_gui.cli.console import error_line, line, literal_column
from imageworks_gui.cli.registry import app
from imageworks_gui.cli.registry._common import (
    EXIT_DRIFT,
    EXIT_FAILURE,
    EXIT_USAGE,
    console,
    err_console,
    fail,
    get_entry,
    open_registry,
    save_problem,
    save_registry,
)
from imageworks_gui.core.entry_transitions import changed_files, lock, lock_target, relock, unlock
from imageworks_gui.core.registry import RegistryEntry, RegistryValidationError
from imageworks_gui.services.hashing import HashingCancelled
from imageworks_gui.services.registry_store import (
    RegistryConflictError,
    RegistryLoadError,
    RegistryReadOnlyError,
    RegistryStore,
    check_replaceable,
)
from imageworks_gui.services.verification import VerifyOutcome, verify_entry


def _verify_with_bar(entry: RegistryEntry, *, lock: bool, deep: bool) -> VerifyOutcome:
    columns = (literal_column(), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(f"hashing {entry.name}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return verify_entry(entry, lock=lock, deep=deep, progress=progress)


def _report(outcome: VerifyOutcome) -> None:
    if outcome.status == "verified":
        console.print(line(("OK", "green"), " ", outcome.message))
        return
    if outcome.status == "error":
        err_console.print(line(("ERROR", "bold red"), " ", outcome.message))
        return
    entry = outcome.entry.name
    err_console.print(line(("DRIFT", "bold red"), f" {entry}: the model files differ from the "
                           "lock"))
    err_console.print(f"  expected aggregate: {outcome.expected}")
    err_console.print(f"  actual aggregate:   {outcome.actual}")
    for label, paths in (("changed", outcome.changed), ("added", outcome.added),
                         ("removed", outcome.removed)):
        for path in paths:
            err_console.print(f"  {label}: {path}")
    err_console.print(f"  Restore the files and verify again, or run 'imageworks-model-registry "
                      f"lock {entry}' to accept the changed files.")


def _save_outcomes(store: RegistryStore, entries: list[RegistryEntry],
                   targets: list[RegistryEntry], outcomes: list[VerifyOutcome]
                   ) -> tuple[set[str], str | None]:
    """Save; if the file changed meanwhile (e.g. the GUI saved), merge the results into it.

    Returns the entries removed from the file while they were hashed (nothing is recorded for
    them) and, when nothing could be saved, why.
    """
    try:
        store.save(entries)
        return set(), None
    except RegistryConflictError:
        pass
    except OSError as exc:
        return set(), save_problem(store, exc)
    try:
        fresh = store.reload()
    except (RegistryLoadError, RegistryValidationError) as exc:
        return set(), f"the registry changed while hashing and can no longer be loaded: {exc}"
    by_name = {t.name: (t, o.entry) for t, o in zip(targets, outcomes, strict=True)}
    gone = set(by_name) - {e.name for e in fresh}
    merged = []
    for entry in fresh:
        if entry.name in by_name:
            before, after = by_name[entry.name]
            if entry != before:
                return gone, (f"{store.path}: entry {entry.name!r} was edited while it was "
                              "being verified; run verify again")
            entry = after
        merged.append(entry)
    try:
        store.save(merged)
    except RegistryConflictError as exc:
        return gone, str(exc)
    except OSError as exc:
        return gone, save_problem(store, exc)
    return gone, None


def _run(ctx: typer.Context, names: list[str], *, lock: bool, deep: bool) -> None:
    store, entries = open_registry(ctx)
    targets = [get_entry(entries, n) for n in names]
    if lock:
        try:  # a lock that cannot be saved is not worth hashing for
            check_replaceable(store.path)
        except RegistryReadOnlyError as exc:
            fail(str(exc), EXIT_FAILURE)
    outcomes: list[VerifyOutcome] = []
    for target in targets:
        try:
            outcome = _verify_with_bar(target, lock=lock, deep=deep)
        except (HashingCancelled, KeyboardInterrupt):
            fail("verification cancelled; nothing was recorded", EXIT_FAILURE)
        outcomes.append(outcome)
        entries = [outcome.entry if e.name == target.name else e for e in entries]
    gone, problem = _save_outcomes(store, entries, targets, outcomes)
    for outcome in outcomes:
        if outcome.entry.name in gone:
            err_console.print(line(("GONE", "bold red"), f" {outcome.entry.name}: the entry was "
                                   f"removed from {store.path} while its files were being "
                                   "hashed; nothing was recorded for it"))
        else:
            _report(outcome)
    if problem:
        err_console.print(error_line(f"{problem}; the results above were not recorded"))
    if any(o.status == "drifted" for o in outcomes):
        raise typer.Exit(EXIT_DRIFT)
    if gone or problem or any(o.status == "error" for o in outcomes):
        raise typer.Exit(EXIT_FAILURE)


@app.command("verify")
def verify(
    ctx: typer.Context,
    name: str | None = typer.Argument(None, help="Entry to verify."),
    all_locked: bool = typer.Option(False, "--all", help="Verify every locked entry (exit 3 "
                                    "if any drifted: usable as a CI gate)."),
    lock: bool = typer.Option(False, "--lock", help="Lock the entry on the current hashes."),
    deep: bool = typer.Option(False, "--deep", help="Re-read every file, ignoring the hash "
                              "cache."),
    golden: bool = typer.Option(False, "--golden", help="Then re-run the entry's golden sets: "
                                "exit 1 when keyword precision drops by more than --margin, 2 on "
                                "errors."),
    golden_set: str | None = typer.Option(None, "--set", help="Only this golden set."),
    margin: float | None = typer.Option(None, "--margin", min=0.0, max=1.0,
                                        help="Allowed precision drop (default: settings)."),
    as_json: bool = typer.Option(False, "--json", help="Golden figures as JSON."),
) -> None:
    """Hash an entry's files and compare them with its lock (exit 3 on drift)."""
    if golden:
        if name is None:
            fail("--golden works on one entry: use 'verify NAME --golden'", EXIT_USAGE)
        from imageworks_gui.cli.registry.golden_cmds import golden_gate
        with contextlib.suppress(typer.Exit):  # drift is expected after an upgrade
            _run(ctx, [name], lock=False, deep=deep)
        raise typer.Exit(golden_gate(ctx, name, golden_set, margin, as_json))
    if all_locked == (name is not None):
        fail("give exactly one of NAME or --all", EXIT_USAGE)
    if all_locked and lock:
        fail("--lock works on one entry: use 'verify NAME --lock'", EXIT_USAGE)
    if all_locked:
        _store, entries = open_registry(ctx)
        names = [e.name for e in entries if e.is_locked]
        if not names:
            console.print("no locked entries to verify")
            return
        _run(ctx, names, lock=False, deep=deep)
    else:
        assert name is not None
        _run(ctx, [name], lock=lock, deep=deep)


@app.command("lock")
def lock_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Entry to lock."),
    deep: bool = typer.Option(False, "--deep", help="Ignore the hash cache when hashing."),
) -> None:
    """Lock an entry to its files as last measured (hashing them first when never measured).

    On a drifted entry this accepts the changed files the last verify found (like Re-lock to
    Current in the app). Use 'verify NAME --lock' to hash the files now and lock on them.
    """
    store, entries = open_registry(ctx)
    entry = get_entry(entries, name)
    if entry.is_locked and not entry.drifted:
        console.print(f"{name} is already locked")
        return
    if lock_target(entry) is None:
        _run(ctx, [name], lock=True, deep=deep)
        return
    accepted = changed_files(entry) if entry.drifted else None
    updated = relock(entry) if entry.drifted else lock(entry)
    save_registry(store, [updated if e.name == name else e for e in entries])
    expected = updated.version_lock.expected_aggregate_sha256 if updated.version_lock else None
    console.print(f"{name} locked to aggregate {expected}")
    for label, paths in (accepted or {}).items():
        for path in paths:
            console.print(f"  accepted {label}: {path}")


@app.command("unlock")
def unlock_cmd(ctx: typer.Context, name: str = typer.Argument(..., help="Entry to unlock.")
               ) -> None:
    """Remove the version lock (the old hash is kept for reference; drift no longer blocks)."""
    store, entries = open_registry(ctx)
    entry = get_entry(entries, name)
    if not entry.is_locked:
        console.print(f"{name} is not locked")
        return
    updated = unlock(entry)
    save_registry(store, [updated if e.name == name else e for e in entries])
    console.print(f"{name} unlocked")

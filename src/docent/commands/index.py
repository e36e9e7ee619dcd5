"""``docent index list|promote|rollback|drop|reconcile``: the blue-green index versions, and their repair."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from docent.commands.common import console, err, workspace

index_app = typer.Typer(help="Index versions: list them, promote one to live, roll back, drop old ones.", no_args_is_help=True)


@index_app.command("list")
def list_versions() -> None:
    """Every index version with its configuration, documents and role."""
    from docent.ingest.manifest import Manifest

    ws = workspace()
    table = Table(title="index versions")
    for col in ("version", "role", "model", "chunking", "docs", "chunks", "built"):
        table.add_column(col, no_wrap=col in ("version", "built"))
    for v in ws.versions.all():
        records = [r for r in Manifest(ws.settings.state_url, v.version).all().values() if r.status == "indexed"]
        role = v.role + (" (configured)" if v.version == ws.version else "")
        emb, chunking = v.config["embedding"], v.config["chunking"]
        table.add_row(
            v.version, role, f"{emb['model'].removeprefix('all-')}:{emb['backend']}", f"{chunking['max_tokens']}/{chunking['overlap_tokens']}",
            str(len(records)), str(sum(r.chunks for r in records)),
            f"{v.built_at:%Y-%m-%d %H:%M}" if v.built_at else "building",
        )
    console.print(table)


@index_app.command()
def promote(
    version: str = typer.Argument(..., help="A version id (or a unique prefix) from `docent index list`."),
    force: bool = typer.Option(False, help="Skip the checks (not recommended)."),
    evaluate: bool = typer.Option(True, help="Gate on the golden-set evaluation of the candidate (evaluation.gate)."),
) -> None:
    """Check a built version (counts, then the golden set answered over it) and make it live; search switches at once."""
    from docent.evaluate.gate import golden_gate
    from docent.index.promotion import promote as run_promotion
    from docent.index.versions import VersionError

    ws = workspace()
    try:
        done = run_promotion(ws, version, gates=[golden_gate(ws)] if evaluate else [], force=force)
    except VersionError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from None
    console.print(f"live: {done.old} → [bold]{done.new}[/bold] (switch took {done.switch_seconds * 1000:.1f} ms)")


@index_app.command()
def rollback() -> None:
    """Make the previous live version live again."""
    from docent.index.promotion import rollback as run_rollback
    from docent.index.versions import VersionError

    ws = workspace()
    try:
        done = run_rollback(ws)
    except VersionError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from None
    console.print(f"live: {done.old} → [bold]{done.new}[/bold] (switch took {done.switch_seconds * 1000:.1f} ms)")


@index_app.command()
def drop(version: str = typer.Argument(..., help="A version that is not live.")) -> None:
    """Delete a version's table and records (the live version is refused)."""
    from docent.index.versions import VersionError
    from docent.ingest.manifest import Manifest

    ws = workspace()
    try:
        target = ws.versions.get(version)
        index = ws.reader(target).index
        ws.versions.forget(target.version)
    except VersionError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from None
    index.drop()
    manifest = Manifest(ws.settings.state_url, target.version)
    manifest.delete(list(manifest.all()))
    console.print(f"dropped version {target.version}")


@index_app.command()
def reconcile(dry_run: bool = typer.Option(False, "--dry-run", help="Only say what disagrees.")) -> None:
    """Make the configured index version agree with its manifest: remove rows of unknown documents,
    and re-queue documents whose rows are duplicated or missing (the next ingestion indexes them)."""
    from docent.index.reconcile import reconcile as mend

    ws = workspace()
    found = mend(ws.index, ws.manifest, ws.settings.sync.write_wait_s, repair=not dry_run)
    if found.clean:
        console.print(f"index version {ws.version} agrees with its manifest")
        return
    verb = "would remove" if dry_run else "removed"
    for doc_id, rows in found.orphans.items():
        console.print(f"{verb} {rows} row(s) of {escape(found.sources.get(doc_id, doc_id))}: not indexed per the manifest")
    for doc_id, (expected, stored) in found.damaged.items():
        console.print(f"{verb} {escape(found.sources.get(doc_id, doc_id))}: {stored} row(s) where the manifest "
                      f"says {expected}" + ("" if dry_run else "; the next `docent ingest` indexes it again"))

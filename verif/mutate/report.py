"""The report of a mutation run: the statuses, the score, ``mutants.json``, ``survivors.diff`` and the tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from verif.mutate.runner import MutateOptions

__all__ = ["STATUSES", "status_style", "write_report"]

STATUSES = ("killed", "timeout", "survived", "stillborn", "equivalent", "error")
"""What running a mutant can give (:class:`verif.mutate.runner.Outcome`); the score is killed (timeouts
included) / (killed + survived)."""


def status_style(status: str) -> str:
    """The rich style a status is printed in."""
    return {"survived": "bold red", "error": "bold red", "stillborn": "yellow", "equivalent": "cyan"}.get(status, "green")


def write_report(rows: list[dict], opts: MutateOptions, wall: float, out: Path, console) -> int:
    """Write ``<out>/mutants.json`` and ``<out>/survivors.diff`` of a run's ``rows``, print the table,
    the per-module table, the score and every survivor's diff; the exit status of :func:`verif.mutate.mutate`."""
    from rich.table import Table

    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    killed = counts["killed"] + counts["timeout"]
    scored = killed + counts["survived"]
    score = killed / scored if scored else 1.0
    survivors = [r for r in rows if r["status"] == "survived"]
    (out / "mutants.json").write_text(json.dumps(
        {"score": score, "counts": counts, "seconds": round(wall, 1),
         "options": {"modules": list(opts.modules), "max_per_module": opts.max_per_module, "seed": opts.seed,
                     "timeout": opts.timeout}, "mutants": rows}, indent=1))
    (out / "survivors.diff").write_text("".join(f"# {r['id']}: {r['description']}\n{r['diff']}" for r in survivors))

    table = Table(title=f"fp8kit mutate: {len(rows)} mutants in {wall:.0f} s", title_justify="left")
    for col in ("mutant", "line", "description", "status", "killed by"):
        table.add_column(col, overflow="fold")
    for r in rows:
        style = status_style(r["status"])
        table.add_row(r["id"], str(r["line"]), r["description"], f"[{style}]{r['status']}[/]", r["case"])
    console.print(table)
    per = Table(title="by module", title_justify="left")
    for col in ("module", *STATUSES, "score"):
        per.add_column(col, justify="left" if col == "module" else "right")
    for m in dict.fromkeys(r["module"] for r in rows):
        c = {s: sum(r["status"] == s for r in rows if r["module"] == m) for s in STATUSES}
        k, n = c["killed"] + c["timeout"], c["killed"] + c["timeout"] + c["survived"]
        per.add_row(m, *(str(c[s]) for s in STATUSES), f"{100 * k / n:.1f}%" if n else "-")
    console.print(per)
    console.print(f"mutation score {killed}/{scored} = {100 * score:.1f}% (killed incl. {counts['timeout']} by "
                  f"timeout; {counts['stillborn']} stillborn and {counts['equivalent']} equivalent not scored); "
                  f"{out / 'mutants.json'}", highlight=False)
    for r in survivors:
        console.print(f"[bold red]SURVIVED[/] {r['id']}: {r['description']}", highlight=False)
        console.print(r["diff"], markup=False, highlight=False)
    return 1 if survivors or counts["error"] else 0

"""``wit inspect --verify``: prove that every input row of a build is in exactly one place.

A build directory (or a demo directory, which holds one under ``build/``) is checked as follows:

1. **Sources** (``sources/<kind>/``, one manifest per source kind): every stage of the recorded
   funnel adds up (``rows_in = kept + rejected``), the manifest holds exactly the rows the funnel
   kept, and ``_rejects/`` holds exactly the rows it rejected, each with a stage and a reason.
   Input rows are counted here: the first stage's ``rows_in`` of every source.
2. **Rows, by identity**: each row the sources kept must end in exactly one place, either a
   reject of ``filtered/_rejects`` (stage and reason) or one row of a final shard parquet
   (``success``: a sample in the tar; otherwise a reason and the status's stage). A row is
   identified by ``(uid, source, page_url)``: uid is a hash of (url, caption), so a crawl may
   legitimately emit the same uid twice (one image with one alt text on two pages, or twice on a
   page); such rows are identical in everything the pipeline reads and are counted by
   occurrence, i.e. the number of copies in the sources must equal the number of copies placed.
3. **Shards**: parquet rows, tar members and ``sizes.json`` agree (``shard_check``).
4. **Funnel**: the final ``shards/_stats.json`` counts, per stage and reason, exactly the rejects
   found on disk, and its last stage keeps exactly the samples the tars hold.

Memory is linear in the number of rows (one counter entry per row identity).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from wit_pipeline.errors import WitError
from wit_pipeline.layout.build_dir import FILTERED_DIR, MERGED_SOURCES, SHARDS_DIR, SOURCES_DIR, find_build
from wit_pipeline.layout.job_dir import SUCCESS, is_complete
from wit_pipeline.layout.manifest_dir import PART_GLOB, STATS_FILE, rejects_location
from wit_pipeline.layout.shard_dir import STATUS_STAGE, read_sizes, reason_of
from wit_pipeline.runtime.funnel import read_funnel
from wit_pipeline.shards.shard_check import Problem, check_shard_dir

IDENTITY = ["uid", "source", "page_url"]
MAX_LISTED = 20  # problems of one kind listed in the text report; all are in the JSON


@dataclass
class VerifyReport:
    """Where every input row ended up, and every discrepancy found."""

    path: str
    inputs: int = 0
    places: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "ok": self.ok,
            "inputs": self.inputs,
            "places": dict(self.places),
            "problems": [vars(p) for p in self.problems],
        }

    def text(self) -> str:
        """A short human-readable report: the accounting, then problems grouped by kind."""
        placed = sum(self.places.values())
        lines = [f"verify {self.path}: {'OK' if self.ok else 'FAILED'}", f"  input rows: {self.inputs}"]
        lines += [f"  {name}: {n}" for name, n in sorted(self.places.items())]
        lines.append(f"  placed: {placed} ({'=' if placed == self.inputs else '!='} input rows)")
        kinds = Counter(p.kind for p in self.problems)
        for kind, n in kinds.most_common():
            lines.append(f"  {kind}: {n}")
            lines += [f"    {p}" for p in [p for p in self.problems if p.kind == kind][:MAX_LISTED]]
        return "\n".join(lines)


def build_root(path: str | Path) -> Path:
    """The build directory of ``path``: itself, or its ``build/`` (a ``wit demo`` output)."""
    root = Path(path)
    build = find_build(root)
    if build is not None and (build / SOURCES_DIR).is_dir() and (build / SHARDS_DIR).is_dir():
        return build
    raise WitError(f"{root}: not a wit build or demo directory (expected sources/ and shards/, or build/)")


def verify_build(path: str | Path) -> VerifyReport:
    """Check a build (or demo) directory; the report lists every discrepancy (none: ``ok``)."""
    root = build_root(path)
    report = VerifyReport(path=str(root))
    rejects_seen: Counter = Counter()
    sources: Counter = Counter()
    for source_dir in _source_dirs(root, report):
        sources += _check_source(source_dir, report, rejects_seen)
    filtered = _read_rejects(root / FILTERED_DIR, report, rejects_seen, "rejected by filter", IDENTITY)
    report.places["rejected by filter"] = sum(filtered.values())
    shard_rows = _shard_rows(root / SHARDS_DIR, report, rejects_seen)
    _account(sources, filtered, shard_rows, report)
    _check_final_funnel(root / SHARDS_DIR, rejects_seen, report)
    placed = sum(report.places.values())
    if placed != report.inputs:
        report.problems.append(Problem("total_mismatch", str(root), f"{report.inputs} input rows, {placed} placed"))
    return report


def _source_dirs(root: Path, report: VerifyReport) -> list[Path]:
    dirs = sorted(p for p in (root / SOURCES_DIR).iterdir() if p.is_dir() and p.name != MERGED_SOURCES)
    if not dirs:
        report.problems.append(Problem("no_sources", str(root / SOURCES_DIR)))
    for d in [*dirs, root / FILTERED_DIR, root / SHARDS_DIR]:
        if not is_complete(d):
            report.problems.append(Problem("incomplete", str(d), f"no {SUCCESS}: the build has not finished"))
    return dirs


def _check_source(directory: Path, report: VerifyReport, rejects_seen: Counter) -> Counter:
    """Check one source manifest against its funnel; returns the identities of its kept rows."""
    funnel = read_funnel(directory)
    kept = _read_identities(sorted(directory.glob(PART_GLOB)), report)
    rejected_by = f"rejected by {directory.name}"
    before = sum(rejects_seen.values())
    rejected = _read_rejects(directory, report, rejects_seen, rejected_by, ["stage", "reason"])
    report.places[rejected_by] = sum(rejected.values())
    if not funnel:
        report.problems.append(Problem("no_funnel", str(directory / STATS_FILE)))
        return kept
    report.inputs += funnel[0].rows_in
    _check_chain(funnel, str(directory), report)
    if funnel[-1].kept != kept.total():
        detail = f"funnel kept {funnel[-1].kept}, parts hold {kept.total()}"
        report.problems.append(Problem("funnel_mismatch", str(directory), detail))
    counted = sum(s.rejected_total for s in funnel)
    if counted != sum(rejects_seen.values()) - before:
        report.problems.append(
            Problem("funnel_mismatch", str(directory), f"funnel rejected {counted}, rejects hold {rejected.total()}")
        )
    return kept


def _check_chain(funnel: list, where: str, report: VerifyReport) -> None:
    previous = None
    for stage in funnel:
        if stage.rows_in != stage.kept + stage.rejected_total:
            detail = f"in {stage.rows_in} != kept {stage.kept} + rejected {stage.rejected_total}"
            report.problems.append(Problem("funnel_does_not_add_up", f"{where} stage {stage.stage}", detail))
        if previous is not None and stage.rows_in != previous.kept:
            detail = f"rows in {stage.rows_in}, {previous.stage} kept {previous.kept}"
            report.problems.append(Problem("funnel_broken_chain", f"{where} stage {stage.stage}", detail))
        previous = stage


def _read_identities(paths: list[Path], report: VerifyReport) -> Counter:
    identities: Counter = Counter()
    for table in _tables(paths, IDENTITY, report):
        identities.update(zip(*(table[c].to_pylist() for c in IDENTITY)))
    return identities


def _read_rejects(directory: Path, report: VerifyReport, seen: Counter, place: str, columns: list[str]) -> Counter:
    """Identities (or, for source rejects, which may lack a uid, stage/reason pairs) of a rejects dir.

    Every row must carry a stage and a reason; ``seen`` counts them per (stage, reason).
    """
    paths = sorted(Path(rejects_location(directory)).glob(PART_GLOB))
    rows: Counter = Counter()
    wanted = sorted({*columns, "stage", "reason"}, key=[*columns, "stage", "reason"].index)
    for table in _tables(paths, wanted, report, missing_ok=True):
        for values in zip(*(table[c].to_pylist() if c in table.column_names else [None] * len(table) for c in wanted)):
            row = dict(zip(wanted, values))
            if not row["stage"] or not row["reason"]:
                report.problems.append(Problem("reject_without_reason", f"{place}: {row}"))
            seen[(row["stage"], row["reason"])] += 1
            rows[tuple(row[c] for c in columns)] += 1
    return rows


def _tables(paths: list[Path], columns: list[str], report: VerifyReport, missing_ok: bool = False):
    for path in paths:
        try:
            names = pq.read_schema(path).names
            wanted = [c for c in columns if c in names] if missing_ok else columns
            yield pq.read_table(path, columns=wanted)
        except (OSError, pa.ArrowException) as exc:
            report.problems.append(Problem("unreadable_parquet", str(path), str(exc).splitlines()[0]))


def _shard_rows(shard_dir: Path, report: VerifyReport, rejects_seen: Counter) -> dict[str, Counter]:
    """Identities of the final shards' rows: ``kept`` (samples) and ``failed`` (status + reason)."""
    check = check_shard_dir(shard_dir)
    report.problems += check.problems
    kept: Counter = Counter()
    failed: Counter = Counter()
    if check.rows is not None:
        for row in check.rows.to_pylist():
            identity = tuple(row[c] for c in IDENTITY)
            if row["status"] == "success":
                kept[identity] += 1
                continue
            failed[identity] += 1
            reason = reason_of(row["error_message"]) or ""
            rejects_seen[(STATUS_STAGE.get(row["status"], row["status"]), reason)] += 1
    report.places["kept in shards"] = sum(kept.values())
    report.places["failed or filtered in shards"] = sum(failed.values())
    if check.samples != sum(kept.values()):
        report.problems.append(
            Problem("tar_parquet_mismatch", str(shard_dir), f"{check.samples} samples, {sum(kept.values())} successes")
        )
    return {"kept": kept, "failed": failed}


def _account(sources: Counter, filtered: Counter, shard_rows: dict[str, Counter], report: VerifyReport) -> None:
    """Each identity: as many copies placed (filter rejects + shard rows) as the sources kept."""
    shards = shard_rows["kept"] + shard_rows["failed"]
    for identity in sorted(set(sources) | set(filtered) | set(shards), key=str):
        want, in_rejects, in_shards = sources[identity], filtered[identity], shards[identity]
        if want == in_rejects + in_shards:
            continue
        where = f"uid {identity[0]} (source {identity[1]}, page {identity[2]})"
        detail = f"{want} in sources, {in_rejects} in filter rejects, {in_shards} in shards"
        if want == 0:
            kind = "unknown_row"
        elif in_rejects + in_shards < want:
            kind = "missing"
        elif in_rejects and in_shards:
            kind = "in_two_places"
        else:
            kind = "duplicated"
        report.problems.append(Problem(kind, where, detail))


def _check_final_funnel(shard_dir: Path, rejects_seen: Counter, report: VerifyReport) -> None:
    """The final funnel counts exactly the rejects on disk and keeps exactly the shards' samples."""
    funnel = read_funnel(shard_dir)
    if not funnel:
        report.problems.append(Problem("no_funnel", str(shard_dir / STATS_FILE)))
        return
    recorded: Counter = Counter()
    for stage in funnel:
        for reason, n in stage.rejected.items():
            recorded[(stage.stage, reason)] += n
    for key in sorted(set(recorded) | set(rejects_seen), key=str):
        if recorded[key] != rejects_seen[key]:
            detail = f"funnel {recorded[key]}, on disk {rejects_seen[key]}"
            report.problems.append(Problem("funnel_mismatch", f"stage {key[0]} reason {key[1]}", detail))
    for stage in funnel:
        if stage.rows_in != stage.kept + stage.rejected_total:
            detail = f"in {stage.rows_in} != kept {stage.kept} + rejected {stage.rejected_total}"
            report.problems.append(Problem("funnel_does_not_add_up", f"{shard_dir} stage {stage.stage}", detail))
    try:
        sizes = read_sizes(shard_dir)
    except WitError:
        return  # reported by the shard check
    if sizes is None:
        return  # reported by the shard check
    samples = sum(sizes.values())
    if funnel[-1].kept != samples:
        report.problems.append(Problem("funnel_mismatch", str(shard_dir), f"funnel keeps {funnel[-1].kept}, {samples}"))

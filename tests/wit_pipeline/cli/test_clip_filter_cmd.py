"""``wit clip-filter`` and its old spelling ``wit filter --clip-model``: the same shards, a note for the old one."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pandas as pd
import pytest

from tests.wit_pipeline.embed.helpers import shared_clip_run
from tests.wit_pipeline.shards.test_clip_filter import swapped_pool
from wit_pipeline.cli.clip_filter_cmd import RENAMED_NOTE
from wit_pipeline.cli.main import main


@pytest.fixture(scope="module")
def clip_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_clip_run(tmp_path_factory)


def outputs(directory: Path) -> dict:
    """Every file of a shard directory: tar members' names and bytes (not their write times), parquet rows
    (as JSON: NaN scores compare equal), the funnel and sizes as data."""
    found = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        if path.suffix == ".tar":
            with tarfile.open(path) as tar:
                found[rel] = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
        elif path.suffix == ".parquet":
            found[rel] = pd.read_parquet(path).to_json(orient="records")
        elif rel in ("sizes.json", "_stats.json"):
            found[rel] = json.loads(path.read_text())
        else:
            found[rel] = None  # present (job records carry paths and times)
    return found


def test_both_spellings_write_the_same_shards(clip_run: Path, tmp_path: Path, capsys) -> None:
    shards, swapped = swapped_pool(tmp_path / "shards")
    flags = ["--clip-model", str(clip_run), "--clip-device", "cpu", "--clip-threshold", "0.3", "--workers", "1"]
    assert main(["clip-filter", str(shards), "--out", str(tmp_path / "new"), *flags, "--quiet"]) == 0
    new = capsys.readouterr()
    assert main(["filter", str(shards), "--out", str(tmp_path / "old"), *flags, "--quiet"]) == 0
    old = capsys.readouterr()

    assert RENAMED_NOTE not in new.err and old.err.splitlines().count(RENAMED_NOTE) == 1
    assert new.out.splitlines()[-1].startswith("wit clip-filter: ") and old.out.splitlines()[-1].startswith(
        "wit filter:"
    )
    assert new.out.replace("wit clip-filter:", "wit filter:").replace(str(tmp_path / "new"), str(tmp_path / "old")) == (
        old.out
    )
    assert "clip_score" in new.out
    kept = outputs(tmp_path / "new")
    assert kept == outputs(tmp_path / "old") and any(name.endswith(".tar") for name in kept)
    rows = pd.concat(pd.read_parquet(p) for p in sorted((tmp_path / "new").glob("[0-9]*.parquet")))
    assert len(set(rows.loc[rows["status"] == "filtered", "key"]) & swapped) >= 14


def test_clip_filter_refuses_a_manifest_and_a_missing_model(clip_run: Path, tmp_path: Path, capsys) -> None:
    manifest = tmp_path / "manifest"
    manifest.mkdir()
    (manifest / "part-00000.parquet").write_bytes(b"")
    assert main(["clip-filter", str(manifest), "--out", str(tmp_path / "o"), "--clip-model", str(clip_run)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "wit clip-filter filters a shard directory" in err[0]
    assert main(["clip-filter", str(manifest), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["wit: error: no CLIP model: give --clip-model RUN (or [filters] clip_model in --config)"]

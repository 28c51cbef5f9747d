"""The job state names: spelled once, in a module that imports nothing from wit, and what jobs write."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from crawlers.url_list_import import ImportOptions, import_lists
from filters.global_step import run_step
from tests.filters.helpers import mixed_csv
from wit_pipeline.layout import job_dir


def test_job_dir_is_a_leaf_that_storage_and_the_runtime_can_import() -> None:
    tree = ast.parse(Path(job_dir.__file__).read_text(encoding="utf-8"))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert set(imported) == {"__future__", "os", "pathlib"}, "the standard library only: nothing from wit"


def test_a_finished_job_and_a_global_step_hold_exactly_these_names(tmp_path: Path) -> None:
    csv = mixed_csv(tmp_path / "list.csv", 50)
    out = tmp_path / "out"
    import_lists([str(csv)], out, ImportOptions(rows_per_part=20), progress=False)
    assert (out / job_dir.SUCCESS).is_file()
    assert json.loads((out / job_dir.JOB_FILE).read_text())["job"]
    for task in (out / job_dir.TASKS_DIR).iterdir():  # each finished task: its counters, then its marker
        assert sorted(p.name for p in task.iterdir()) == sorted([job_dir.COUNTERS_FILE, job_dir.SUCCESS])

    step = tmp_path / "step"
    run_step(step, lambda tmp: (tmp / "x.txt").write_text("x"))
    assert job_dir.is_complete(step) and (step / job_dir.SUCCESS).is_file() and (step / "x.txt").is_file()


def test_task_directories_are_named_by_number_and_complete_once_marked(tmp_path: Path) -> None:
    csv = mixed_csv(tmp_path / "list.csv", 10)
    out = tmp_path / "out"
    import_lists([str(csv)], out, ImportOptions(rows_per_part=20), progress=False)
    assert [p.name for p in (out / job_dir.TASKS_DIR).iterdir()] == [job_dir.task_name(0)] == ["00000"]
    assert job_dir.is_complete(out) and job_dir.is_complete(out / job_dir.TASKS_DIR / job_dir.task_name(0))
    (out / job_dir.SUCCESS).unlink()
    assert not job_dir.is_complete(out)

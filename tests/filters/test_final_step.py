"""The final step gathers every earlier step's rejects of a partition into one file."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from filters.final_step import final_tasks
from tests.filters.helpers import manifest_rows, table_of
from wit_pipeline.runtime.results import with_reasons


def test_final_task_concatenates_rejects_of_earlier_steps_in_order(tmp_path: Path) -> None:
    kept = table_of(manifest_rows([("http://a/1.jpg", "a red bicycle on grass")]))
    pq.write_table(kept, tmp_path / "part-00000.parquet")
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = with_reasons(table_of(manifest_rows([("http://a/2.jpg", "x")])), "caption", ["too_few_chars"])
    second = with_reasons(table_of(manifest_rows([("http://a/3.jpg", "un chien")])), "language", ["lang_not_wanted"])
    second = second.append_column("lang", pa.array(["fr"]))
    pq.write_table(first, tmp_path / "one" / "part-00000.parquet")
    pq.write_table(second, tmp_path / "two" / "part-00000.parquet")
    (task,) = final_tasks([str(tmp_path / "part-00000.parquet")], [], [tmp_path / "one", tmp_path / "two"])
    (chunk,) = list(task.run())
    assert chunk.kept.equals(kept) and chunk.counters == []
    assert chunk.rejected["reason"].to_pylist() == ["too_few_chars", "lang_not_wanted"]
    assert chunk.rejected["lang"].to_pylist() == [None, "fr"]
    (lonely,) = final_tasks([str(tmp_path / "part-00000.parquet")], [], [tmp_path / "missing"])
    assert next(iter(lonely.run())).rejected is None

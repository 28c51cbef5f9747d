"""The dask stage runtime: map stages over partitions, atomically, resumably, with a funnel."""

from wit_pipeline.runtime.cluster import open_client
from wit_pipeline.runtime.file_jobs import FileTask, run_file_job
from wit_pipeline.runtime.manifest_jobs import run_job
from wit_pipeline.runtime.results import Chunk, StageCounters, StageResult, split_rows
from wit_pipeline.runtime.stage import PartitionTask, Stage, apply_stages

__all__ = [
    "Chunk",
    "FileTask",
    "PartitionTask",
    "Stage",
    "StageCounters",
    "StageResult",
    "apply_stages",
    "open_client",
    "run_file_job",
    "run_job",
    "split_rows",
]

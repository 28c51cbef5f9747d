"""The names a wit job writes into its output directory to run atomically and resumably.

Every stage (crawl, import, filter and its global steps, download, the image stage, reshard,
embed, the CLIP-score filter) writes its results through the runtime, which keeps its own state
beside them::

    OUT/_job.json                 what job this directory holds (a rerun must match it)
    OUT/_tasks/<task_id>/         a finished task's outputs, its _counters.json and _SUCCESS
    OUT/_SUCCESS                  written last: the whole output is complete

A global step of ``wit filter`` marks its own directory complete with ``_SUCCESS`` too, and remote
uploads copy every ``_SUCCESS`` after all data. The module imports nothing from wit, so the storage
layer and the runtime below every stage can use it.
"""

from __future__ import annotations

import os
from pathlib import Path

SUCCESS = "_SUCCESS"  # the completion marker: a directory (job, task or step) holding it is whole
JOB_FILE = "_job.json"  # the job's kind and input fingerprint, checked when a rerun resumes
TASKS_DIR = "_tasks"  # one directory per finished task, moved into place by a single rename
COUNTERS_FILE = "_counters.json"  # a finished task's counters (its funnel record)


def task_name(index: int) -> str:
    """The id of a job's task number ``index``, also its directory name under ``_tasks/`` (``00042``)."""
    return f"{index:05d}"


def is_complete(directory: str | os.PathLike) -> bool:
    """Whether a local job, task or step directory is whole (its ``_SUCCESS`` is written)."""
    return (Path(directory) / SUCCESS).exists()

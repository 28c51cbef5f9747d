"""One input argument (a path or fsspec URL) as the files a stage reads: a directory stands for its files."""

from __future__ import annotations

import os
from collections.abc import Callable

from wit_pipeline import storage
from wit_pipeline.errors import WitError


def input_files(item: str | os.PathLike, wanted: Callable[[str], bool], what: str) -> list[str]:
    """``item`` itself, or the files directly inside directory ``item`` whose names are ``wanted``.

    Local paths (and ``file://`` URLs) come back absolute, so workers in any directory find them;
    ``what`` names the wanted files in the error for a directory that holds none.
    """
    p = storage.location(item)
    if storage.is_dir(p):
        found = [storage.input_name(f) for f in storage.list_files(p) if wanted(str(f))]
        if not found:
            raise WitError(f"{p}: directory holds no {what}")
        return found
    if storage.exists(p):
        return [storage.input_name(p)]
    raise WitError(f"{p}: no such file or directory")

"""Keep a dask worker's long-lived objects out of the cyclic garbage collector's way.

A download worker imports img2dataset, which brings in torch and albumentations: hundreds of
thousands of objects that live as long as the process. Every full collection walks them
all, and so does the interpreter's last collection when the worker exits, which kept each
worker process alive ~4 s after the cluster asked it to close (the nanny then kills it).
``gc.freeze`` moves the objects alive now into the permanent generation, which no collection
walks; they are still freed by reference counting as usual.
"""

from __future__ import annotations

import gc

from distributed import get_worker


def freeze_worker_heap() -> None:
    """In a dask worker process, freeze what is alive now (the task's modules are imported).

    Called at the start of each task: a later task may import more. Garbage left since the
    previous freeze is collected first (cheap: frozen objects are not walked), so no cycle of
    dead objects is frozen for good. Outside a dask worker this does nothing.
    """
    try:
        get_worker()
    except ValueError:
        return
    if gc.get_freeze_count():
        gc.collect()
    gc.freeze()

"""Peak memory of this process, for the child processes that tests start to measure their own.

``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is not that: Linux carries the peak RSS of the
process image that ran before ``exec`` into the new program's figure, and a child started by
``subprocess`` (vfork or fork, then exec) ran its first moments on the parent's memory. A child of
a pytest process that had grown to 800 MB reported 800 MB whatever it did itself. ``VmHWM`` in
``/proc/self/status`` is the high-water mark of the current memory map only.
"""

from __future__ import annotations

import resource


def peak_rss_mb() -> int:
    """This program's own peak resident memory in MiB (``ru_maxrss`` where ``/proc`` is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024

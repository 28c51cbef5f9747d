"""Children that a test interrupts with SIGINT must see it as Ctrl-C.

A shell started in the background (``make test &``, some CI runners) starts its jobs with SIGINT
ignored, children inherit that, and Python then installs no KeyboardInterrupt handler: a SIGINT
sent to such a child does nothing. ``preexec_fn=ctrl_c_enabled`` restores the default first.
"""

from __future__ import annotations

import signal


def ctrl_c_enabled() -> None:
    """Run in the child before exec: SIGINT back to its default action."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)

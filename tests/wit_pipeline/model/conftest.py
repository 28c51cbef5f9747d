"""One torch thread per test process: the suite shares two cores, and tiny models gain nothing from more."""

from tests.torch_threads import single_thread  # noqa: F401 - an autouse fixture, registered by the import

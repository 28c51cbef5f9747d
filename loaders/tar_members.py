"""Which tar members of a shard may be read: one check and one set of reasons for every tar reader.

A member is read only if it is a regular file with a relative path and no ``..`` component, and its
size is within the cap for its kind: images, captions (``txt``) and ``json`` have separate caps, other
extensions take the image cap. The size checked is the one the header claims, so a GNU-sparse member
claiming 16 GiB is refused before a byte is read. The caps default to the ``WIT_TAR_MAX_*`` environment
variables (bytes; read when the limits are built, so dask workers started from the same environment
agree) or to the values below, and every reader takes explicit ``MemberLimits`` too.
"""

from __future__ import annotations

import os
import re
import tarfile
from dataclasses import dataclass

IMAGE_EXTS = ("jpg", "jpeg", "png", "webp")
TEXT_EXT = "txt"
JSON_EXT = "json"

UNSAFE = "unsafe_member"  # absolute path, '..', backslash or drive letter: never read
NON_REGULAR = "non_regular_member"  # symlink, hard link, device, fifo, directory: never read
TOO_LARGE = "member_too_large"  # claims more bytes than its kind's cap: never read
REASONS = (UNSAFE, NON_REGULAR, TOO_LARGE)

_ENV = {"image": "WIT_TAR_MAX_IMAGE_BYTES", "text": "WIT_TAR_MAX_TEXT_BYTES", "json": "WIT_TAR_MAX_JSON_BYTES"}
_DEFAULTS = {"image": 64 * 1024 * 1024, "text": 1024 * 1024, "json": 1024 * 1024}


def _env_cap(kind: str) -> int:
    raw = os.environ.get(_ENV[kind], "")
    try:
        value = int(raw) if raw else _DEFAULTS[kind]
    except ValueError:
        raise ValueError(f"{_ENV[kind]}={raw!r}: expected a whole number of bytes") from None
    if value < 1:
        raise ValueError(f"{_ENV[kind]}={raw!r}: must be at least 1 byte")
    return value


@dataclass(frozen=True)
class MemberLimits:
    """Largest member, in bytes, read per kind: images (and any other extension), captions, json."""

    image_bytes: int
    text_bytes: int
    json_bytes: int

    @classmethod
    def default(cls) -> MemberLimits:
        """The caps from ``WIT_TAR_MAX_IMAGE_BYTES`` / ``_TEXT_BYTES`` / ``_JSON_BYTES``, else 64 MiB, 1 MiB, 1 MiB."""
        return cls(_env_cap("image"), _env_cap("text"), _env_cap("json"))

    def cap(self, ext: str) -> int:
        """The cap for a member with extension ``ext`` (lower case, without the dot)."""
        if ext == TEXT_EXT:
            return self.text_bytes
        if ext == JSON_EXT:
            return self.json_bytes
        return self.image_bytes


def member_problem(info: tarfile.TarInfo, ext: str = "", limits: MemberLimits | None = None) -> str | None:
    """Why a member must not be read (one of ``REASONS``), or None; the size cap applies when ``ext`` is given."""
    if not info.isreg():
        return NON_REGULAR
    name = info.name
    if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/") or re.match(r"^[A-Za-z]:", name):
        return UNSAFE
    if ext and info.size > (limits or MemberLimits.default()).cap(ext):
        return TOO_LARGE
    return None

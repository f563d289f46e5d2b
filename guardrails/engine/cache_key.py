"""The key that signs cache entries: made by this checkout's own cache, and bound
to the file that holds it.

A `.guardrails_cache/` can come with a checkout (committed with `git add -f`), so
its entries are hostile input: forged ones would make a required check pass. Each
entry is signed (HMAC-SHA256) with a key derived from random bytes that guardrails
wrote to `.guardrails_cache/signing-key` (mode 0600) *and* from that file's
identity on this machine: its device, inode and change time. A checkout, a copy
or a restore makes a new file with another identity, which no one can choose, so
every entry that came with it fails its signature and is ignored; the cache then
starts anew. Nothing is written outside the project.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

KEY_FILE = "signing-key"
KEY_BYTES = 32


def _read_secret(path: Path) -> tuple[bytes, os.stat_result] | None:
    """The secret and its file's identity, when it is a private regular file of
    ours of the right size (never through a link)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(stream.fileno())
        if (
            not stat.S_ISREG(info.st_mode)
            or info.st_uid != os.getuid()
            or info.st_mode & 0o077
            or info.st_size != KEY_BYTES
        ):
            return None
        data = stream.read(KEY_BYTES + 1)
    return (data, info) if len(data) == KEY_BYTES else None


def _make_secret(path: Path) -> None:
    """A new secret in place of whatever holds the name (a file that came with the
    checkout, a link); an existing one another run just made is kept."""
    if _read_secret(path) is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    descriptor = os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600
    )
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(secrets.token_bytes(KEY_BYTES))


def folder_key(folder: Path) -> bytes | None:
    """The signing key of the cache in `folder`, made on first use; None when it
    cannot be (then no cache is used)."""
    path = folder / KEY_FILE
    found = _read_secret(path)
    if found is None:
        try:
            _make_secret(path)
        except FileExistsError:
            pass  # another run made it meanwhile
        except OSError:
            return None
        found = _read_secret(path)
    if found is None:
        return None
    secret, info = found
    identity = f"{info.st_dev}:{info.st_ino}:{info.st_ctime_ns}".encode()
    return hashlib.sha256(secret + identity).digest()


def sign(key: bytes, *parts: str | bytes) -> str:
    """HMAC-SHA256 of the parts, length-prefixed so no two part lists sign alike."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode(errors="surrogateescape") if isinstance(part, str) else part
        mac.update(len(data).to_bytes(8, "little") + data)
    return mac.hexdigest()


def verified(key: bytes, signature: object, *parts: str | bytes) -> bool:
    return isinstance(signature, str) and hmac.compare_digest(
        signature, sign(key, *parts)
    )

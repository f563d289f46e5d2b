"""The secret that signs cache entries, kept outside every project.

A `.guardrails_cache/` can come with a checkout (committed with `git add -f`), so
its entries are hostile input: forged ones would make a required check pass. Each
entry is signed (HMAC-SHA256) with a random key private to the user, in
`$XDG_CACHE_HOME/guardrails/cache-key` (`~/.cache/guardrails/cache-key`); an
entry another user or machine wrote, or one edited by hand, fails its signature
and is ignored. No key (the folder cannot be written) means no cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

KEY_BYTES = 32


def user_cache_folder() -> Path:
    """guardrails' folder in the user's cache (`XDG_CACHE_HOME`, else ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec: a relative value is invalid and ignored.
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "guardrails"


def _read_key(path: Path) -> bytes | None:
    """The key, when it is a private regular file of ours of the right size."""
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
    return data if len(data) == KEY_BYTES else None


def user_key() -> bytes | None:
    """This user's signing key, made on first use; None when it cannot be."""
    folder = user_cache_folder()
    path = folder / "cache-key"
    key = _read_key(path)
    if key is not None:
        return key
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = folder / f".cache-key.{os.getpid()}.{secrets.token_hex(8)}.tmp"
        descriptor = os.open(
            temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600
        )
        try:
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(secrets.token_bytes(KEY_BYTES))
            # A link never replaces a key another run made meanwhile: both runs
            # then sign with the one that won.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    except OSError:
        return None
    return _read_key(path)


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

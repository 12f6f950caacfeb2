"""The robot's key-value store, kept by the host across items and runs.
Each call raises ``Err(Error_…)`` when the host refuses it."""

from wit_world.imports import state as _raw


def get(key: str):
    """The bytes stored under ``key``, or ``None``."""
    return _raw.get(key)


def set(key: str, value: bytes):
    """Store bytes under ``key``."""
    _raw.set(key, bytes(value))


def delete(key: str) -> bool:
    """Remove ``key``; ``True`` if it existed."""
    return _raw.delete(key)


def keys(prefix: str):
    """Keys starting with ``prefix``, in byte order."""
    return _raw.keys(prefix)


def get_string(key: str):
    """The UTF-8 string stored under ``key`` (``None`` if absent or not UTF-8)."""
    value = get(key)
    if value is None:
        return None
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        return None


def set_string(key: str, value: str):
    """Store a string under ``key``."""
    set(key, value.encode("utf-8"))


def increment(key: str) -> int:
    """Add one to the counter under ``key`` (absent counts as 0) and return it."""
    current = get_string(key)
    try:
        n = int(current) if current is not None else 0
    except ValueError:
        n = 0
    set_string(key, str(n + 1))
    return n + 1

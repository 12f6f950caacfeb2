"""Mounted directories: ``Mount.open("name")``, then paths relative to it.

A robot names a mount, never a host path. ``..``, absolute paths and
symlinks pointing outside are denied (and audited); writes to a read-only
mount are denied; a write past the mount's quota raises ``Error_Limit``.
Reads give a blob held by the host: pass it on rather than reading it.
"""

from wit_world.imports.files import *  # noqa: F401,F403 - the capability itself

# Largest chunk ``read_to_bytes`` asks the host for at once.
CHUNK = 1024 * 1024


def copy(source_mount, source: str, destination_mount, destination: str):
    """Copy a file between mounts without the bytes entering the robot."""
    blob = source_mount.read(source)
    destination_mount.write(destination, blob)
    return blob.info()


def read_to_bytes(blob) -> bytes:
    """All the bytes of ``blob``, read in chunks: only for blobs the robot
    must inspect itself."""
    size = blob.info().size
    out = bytearray()
    while len(out) < size:
        chunk = blob.read(len(out), CHUNK)
        if not chunk:
            break
        out.extend(chunk)
    return bytes(out)

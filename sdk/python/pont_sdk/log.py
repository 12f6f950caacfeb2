"""Structured log lines for the current item, into the host's log and journal.
Log what a person reviewing the run needs (dossier numbers, decisions), not
applicants' personal data."""

from wit_world.imports import log as _raw

Level = _raw.Level


def log(level, message: str, fields=()):
    """A log line with key/value fields (any iterable of pairs, or a dict)."""
    if isinstance(fields, dict):
        fields = fields.items()
    _raw.log(level, message, [(str(k), str(v)) for k, v in fields])


def info(message: str):
    _raw.log(Level.INFO, message, [])


def warn(message: str):
    _raw.log(Level.WARN, message, [])


def error(message: str):
    _raw.log(Level.ERROR, message, [])


def debug(message: str):
    _raw.log(Level.DEBUG, message, [])


def evidence(name: str, blob):
    """Attach a blob to the current item's evidence, kept for review."""
    _raw.evidence(name, blob)

"""From a capability's error to the robot's ``Failure``, in one ``with``.

Every robot needs the same two mappings, and the choice between them is
what decides whether the runner retries: a system failure is retried with
backoff (then sent to review), a business failure is not. The message is
always ``"<step>: <error>"``, so the review queue says which step failed
and how::

    with system("dossier"):
        d = item.load_dossier()
    with ds_failure("accepter"):
        ds.accepter(d.number, None, None, False)
"""

from contextlib import contextmanager

from componentize_py_types import Err
from wit_world.imports import ds as _ds
from wit_world.imports import runner as _runner


class Failure(Exception):
    """The item could not be handled: raise it from ``process``."""

    def __init__(self, kind: str, message: str):
        if kind not in ("business", "system"):
            raise ValueError(f"a failure is business or system, not {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message

    @classmethod
    def business(cls, message: str) -> "Failure":
        """The dossier itself is the problem: not retried."""
        return cls("business", message)

    @classmethod
    def system(cls, message: str) -> "Failure":
        """An application failed: retried with backoff, then sent to review."""
        return cls("system", message)

    def to_wit(self):
        """The WIT ``failure`` the host receives."""
        if self.kind == "business":
            return _runner.Failure_Business(self.message)
        return _runner.Failure_System(self.message)


def describe(error) -> str:
    """An error value as ``Case("text")``, like the Rust SDK's ``{e:?}``."""
    name = type(error).__name__.split("_", 1)[-1]
    value = getattr(error, "value", None)
    return f"{name}({value!r})" if value is not None else name


@contextmanager
def system(step: str):
    """Any capability error inside the block as a system failure at ``step``:
    for a robot that wants every error of a call retried."""
    try:
        yield
    except Err as e:
        raise Failure.system(f"{step}: {describe(e.value)}") from None


@contextmanager
def ds_failure(step: str):
    """The usual mapping of a DS error at ``step``: DS down or failing after
    the host's retries (``Unavailable``) is a system failure, worth retrying;
    any other DS error is DS refusing this call for this dossier, a business
    failure for a person to look at."""
    try:
        yield
    except Err as e:
        message = f"{step}: {describe(e.value)}"
        if isinstance(e.value, _ds.DsError_Unavailable):
            raise Failure.system(message) from None
        raise Failure.business(message) from None

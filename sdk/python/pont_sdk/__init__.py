"""pont-sdk: write Pont robots in Python.

A Pont robot is a WebAssembly component that the ``pont`` host runs in a
sandbox. The host hands it dossiers one at a time and offers capabilities
(the DS API, files, spreadsheets, browser sessions, HTTP, a log and a
key-value state store) through the policy gate: the robot can use only what
its manifest (``pont.toml``) requests and its operator granted.

This package mirrors the Rust SDK (``sdk/src``)::

    from pont_sdk import Robot, Outcome, export, log, state, system

    class Greeter(Robot):
        @classmethod
        def init(cls, settings):
            robot = cls()
            robot.greeting = settings.get_or("greeting", "Bonjour")
            return robot

        def process(self, item):
            with system("state"):
                seen = state.increment("greeted")
            log.info(f"{self.greeting} dossier {item.number}")
            return Outcome.done(f"greeted ({seen} so far)")

    WitWorld = export(Greeter)

Build it with ``pont-py build robot.py -o robot.wasm`` (see ``pont_py.py``).

What to know (as for Rust robots):

- **One instance per item.** ``init`` then ``process`` run on a fresh
  instance for each dossier; keep what must last in ``state``.
- **Denial is a value.** A refused call raises ``Err`` with
  ``Error_Denied`` (or ``DsError_Denied``); it never traps. ``system`` and
  ``ds_failure`` turn it into a ``Failure``.
- **Failures.** ``Failure.business`` means the dossier is the problem (not
  retried); ``Failure.system`` means an application failed (retried, then
  sent to review). Any other exception is a system failure.
- **Secrets** are never given to the robot: name them (``fill_secret``,
  secret headers) and the host uses them.

The bindings (``wit_world``) are generated from ``wit/`` when the robot is
built; this package adds helpers to their classes when it is imported.
"""

from componentize_py_types import Err, Ok

from . import browser, ds, files, http, log, sheets, state
from .dossier import as_number, as_text, files_of, now, today
from .failure import Failure, ds_failure, system
from .robot import Item, Outcome, Robot, RunSummary, export
from .settings import Settings
from .wait import wait_for, wait_until_ms

__all__ = [
    "Err",
    "Failure",
    "Item",
    "Ok",
    "Outcome",
    "Robot",
    "RunSummary",
    "Settings",
    "as_number",
    "as_text",
    "browser",
    "ds",
    "ds_failure",
    "export",
    "files",
    "files_of",
    "http",
    "log",
    "now",
    "sheets",
    "state",
    "system",
    "today",
    "wait_for",
    "wait_until_ms",
]

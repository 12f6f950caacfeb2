"""The ``Robot`` base class, ``Outcome`` and ``export``, which turns a robot
class into the component's ``init``, ``process`` and ``finish``."""

from componentize_py_types import Err
from wit_world import WitWorld as _World
from wit_world.imports import runner as _runner

from .failure import Failure, describe
from .settings import Settings

Item = _runner.Item
RunSummary = _runner.RunSummary


class Outcome:
    """Builders of the WIT ``outcome`` that ``process`` returns."""

    @staticmethod
    def done(reason: str):
        return _runner.Outcome_Done(reason)

    @staticmethod
    def skipped(reason: str):
        return _runner.Outcome_Skipped(reason)

    @staticmethod
    def needs_review(reason: str):
        """The robot wants a person to look at the dossier."""
        return _runner.Outcome_NeedsReview(reason)

    @staticmethod
    def waiting(until_ms: int, reason: str):
        """See ``pont_sdk.wait_for``."""
        return _runner.Outcome_Waiting(_runner.Wait(until_ms, reason))


class Robot:
    """A robot: what it does with one item. Only ``process`` is required."""

    @classmethod
    def init(cls, settings: Settings) -> "Robot":
        """Build the robot for one instance from the operator's ``[settings]``.
        The default ignores them. Raise ``ValueError`` for a bad setting."""
        return cls()

    def process(self, item: Item):
        """Handle one dossier; return an ``Outcome`` or raise a ``Failure``."""
        raise NotImplementedError("a robot must define process")

    @classmethod
    def finish(cls, summary: RunSummary) -> None:
        """Called once at the end of a run, in an instance of its own."""


# The robot of this instance: each item runs in a fresh instance, so this
# never carries anything from one dossier to the next.
_current = None


def _system(e: BaseException) -> str:
    if isinstance(e, Err):
        return f"unhandled capability error: {describe(e.value)}"
    return f"{type(e).__name__}: {e}"


def export(robot_class):
    """The ``WitWorld`` class componentize-py looks for, running
    ``robot_class``: assign it at the top of the robot's module
    (``WitWorld = export(MyRobot)``)."""

    class WitWorld(_World):
        def init(self, settings):
            global _current
            try:
                _current = robot_class.init(Settings(settings))
            except Exception as e:  # any error is the robot refusing to start
                raise Err(str(e) or type(e).__name__) from None

        def process(self, item):
            global _current
            try:
                if _current is None:
                    _current = robot_class.init(Settings([]))
                return _current.process(item)
            except Failure as f:
                raise Err(f.to_wit()) from None
            except Exception as e:
                raise Err(_runner.Failure_System(_system(e))) from None

        def finish(self, summary):
            try:
                robot_class.finish(summary)
            except Exception as e:
                raise Err(str(e) or type(e).__name__) from None

    return WitWorld

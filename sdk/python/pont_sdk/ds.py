"""The DS capability: démarches, dossiers, state changes, messages,
annotations, labels and attachments (the WIT ``ds`` interface, re-exported).
Each call raises ``Err(DsError_…)`` on failure; ``ds_failure`` maps it.

Beside the raw calls, ``ensure_label``, ``ensure_no_label`` and
``dossier.ensure_en_instruction()`` treat "already so" as done, and
``decided`` tells a decision held for an agent (``[approval] required``,
``DsError_PendingApproval``) from one DS applied.
"""

from dataclasses import dataclass
from typing import Any, Optional

from componentize_py_types import Err
from wit_world.imports.ds import *  # noqa: F401,F403 - the capability itself
from wit_world.imports import ds as _ds

from . import dossier as _dossier  # noqa: F401 - attaches the reading helpers


def _already_ok(send, already: str) -> bool:
    """``False`` for DS's refusal saying the change is already so (its French
    message, apostrophes normalised, is the only sign), ``True`` for a change
    made; any other error is raised as it is."""
    try:
        send()
        return True
    except Err as e:
        if isinstance(e.value, _ds.DsError_Rejected):
            text = e.value.value.replace("\u2019", "'").replace("\u2018", "'")
            if already in text:
                return False
        raise


def ensure_label(number: int, label_id: str) -> bool:
    """Put the label on the dossier; already there counts as done. ``True``
    when DS put it on now. Needs the ``labels`` DS action."""
    return _already_ok(lambda: _ds.ajouter_label(number, label_id), "est déjà associé")


def ensure_no_label(number: int, label_id: str) -> bool:
    """Take the label off the dossier; already absent counts as done."""
    return _already_ok(lambda: _ds.supprimer_label(number, label_id), "n'est pas associé")


def ensure_en_instruction(dossier) -> bool:
    """Pass the dossier en instruction if it is en construction; any other
    state is left alone, and "already en instruction" counts as done. ``True``
    when DS passed it now. Needs the ``passer-en-instruction`` DS action."""
    if dossier.state != _ds.DossierState.EN_CONSTRUCTION:
        return False
    try:
        _ds.passer_en_instruction(dossier.number, False)
        return True
    except Err as e:
        if isinstance(e.value, _ds.DsError_AlreadyInState):
            return False
        raise


def has_label(dossier, name: str) -> bool:
    """Whether the dossier carries the label named ``name``."""
    return any(label.name.strip() == name.strip() for label in dossier.labels)


def label_named(demarche, name: str):
    """The démarche's label named ``name``, whose ``id`` the label helpers take."""
    return next((l for l in demarche.labels if l.name.strip() == name.strip()), None)


_ds.Dossier.ensure_en_instruction = ensure_en_instruction
_ds.Dossier.has_label = has_label
_ds.Demarche.label_named = label_named


@dataclass
class Decided:
    """A DS decision: ``sent`` is DS's answer when it was applied;
    ``proposal`` the host's text ("proposal 12: ...") when it is held for an
    agent. The item then waits for the decision whatever ``process``
    returns, and the host sends what the agent approved."""

    sent: Any = None
    proposal: Optional[str] = None


def decided(send) -> Decided:
    """Call ``send()``: a ``pending-approval`` answer is a ``Decided`` with
    its ``proposal``; any other error is raised as it is."""
    try:
        return Decided(sent=send())
    except Err as e:
        if isinstance(e.value, _ds.DsError_PendingApproval):
            return Decided(proposal=e.value.value)
        raise

"""Reading dossiers without boilerplate: champs and annotations by label,
typed values, and the item's dossier whether or not the queue read it.

Importing ``pont_sdk`` adds these as methods of the generated classes, as the
Rust SDK does with extension methods: ``dossier.champ_labelled("Nom")``,
``champ.value.as_text()``, ``item.load_dossier()``.
"""

import datetime
import typing

from wit_world.imports import ds as _ds
from wit_world.imports import runner as _runner

from .failure import Failure

# Text-like cases, by name: the WIT grows new champ types, and a case this
# SDK knows but the WIT no longer has (or not yet) is simply left out.
_TEXT_LIKE = tuple(
    getattr(_ds, f"ChampValue_{name}")
    for name in ("Text", "DropDown", "Date", "Datetime", "Civilite", "Other", "Unknown")
    if hasattr(_ds, f"ChampValue_{name}")
)


def _find(champs, label: str):
    label = label.strip()
    return next((c for c in champs if c.label.strip() == label), None)


def champ_labelled(dossier, label: str):
    """The first champ whose label is ``label`` (surrounding spaces ignored)."""
    return _find(dossier.champs, label)


def annotation_labelled(dossier, label: str):
    """The first annotation (private champ of the instructeurs) labelled ``label``."""
    return _find(dossier.annotations, label)


def annotation_input(dossier, label: str, value):
    """The input that writes ``value`` into the annotation labelled ``label``,
    for ``ds.modifier_annotations``. No such annotation is a business failure
    naming the label: the robot was pointed at a démarche it was not written for."""
    annotation = annotation_labelled(dossier, label)
    if annotation is None:
        raise Failure.business(f"annotation « {label} » absente de la démarche")
    return _ds.AnnotationInput(annotation.id, value)


def as_text(value):
    """The value as text when it is text-like (text, drop-down, date,
    date-time, civilité, or a type the host does not model, with DS's text),
    else ``None``."""
    return value.value if isinstance(value, _TEXT_LIKE) else None


def as_number(value):
    """The value as a float when it is an integer or a decimal, else ``None``."""
    if isinstance(value, (_ds.ChampValue_Integer, _ds.ChampValue_Decimal)):
        return float(value.value)
    return None


def files_of(value):
    """The files of a piece-justificative champ; empty for any other value."""
    return list(value.value) if isinstance(value, _ds.ChampValue_Files) else []


def load_dossier(item):
    """The item's dossier: the one the queue already read, else fetched from
    DS (needs the ``read`` DS action)."""
    return item.dossier if item.dossier is not None else _ds.get_dossier(item.number)


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def today() -> str:
    """Today's date in UTC as ``YYYY-MM-DD``, from the host's wall clock."""
    return _utc_now().strftime("%Y-%m-%d")


def now() -> str:
    """Now in UTC as RFC 3339 (``YYYY-MM-DDTHH:MM:SSZ``)."""
    return _utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


def _attach():
    _ds.Dossier.champ_labelled = champ_labelled
    _ds.Dossier.annotation_labelled = annotation_labelled
    _ds.Dossier.annotation_input = annotation_input
    _runner.Item.load_dossier = load_dossier
    for case in typing.get_args(_ds.ChampValue):
        case.as_text = as_text
        case.as_number = as_number
        case.files = files_of


_attach()

"""Spreadsheets on mounts: ``Workbook.open("mount", "path.xlsx")``.

``append_rows`` edits an xlsx in the host, keeping its other sheets and
styles, and ``save`` writes it back atomically (a write of the mount).
"""

from wit_world.imports.sheets import *  # noqa: F401,F403 - the capability itself
from wit_world.imports import sheets as _raw


def text(value: str):
    """A text cell."""
    return _raw.Cell_Text(str(value))


def number(value: float):
    """A number cell."""
    return _raw.Cell_Number(float(value))


def date(value: str):
    """A date cell (ISO 8601)."""
    return _raw.Cell_Date(value)


def boolean(value: bool):
    """A yes/no cell."""
    return _raw.Cell_Boolean(bool(value))


def to_text(cell) -> str:
    """The cell as a person would read it: whole numbers without decimals,
    dates in ISO form, empty cells as ``""``."""
    if isinstance(cell, _raw.Cell_Empty):
        return ""
    if isinstance(cell, _raw.Cell_Number):
        n = cell.value
        return f"{n:.0f}" if float(n).is_integer() and abs(n) < 1e15 else repr(n)
    if isinstance(cell, _raw.Cell_Boolean):
        return "true" if cell.value else "false"
    return cell.value


def column(table, name: str):
    """The index of the column named ``name`` (surrounding spaces ignored), or ``None``."""
    return next((i for i, c in enumerate(table.columns) if c.strip() == name.strip()), None)

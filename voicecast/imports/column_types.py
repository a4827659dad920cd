"""Typing a file's free columns before its rows are read: each column's type from all its
filled cells, the values those cells were read as, and the order of its dates."""

from __future__ import annotations

from collections import Counter
from operator import itemgetter
from typing import Any

from voicecast.imports.columns import Column
from voicecast.imports.dates import ColumnOrder, column_order, forced_order
from voicecast.imports.rows import LEGAL_DATES, LEGAL_FIELDS, overflow
from voicecast.imports.source import Line
from voicecast.imports.values import infer_type


def attribute_types(
    columns: list[Column], lines: list[Line], width: int, order: str, option: Any = None
) -> tuple[dict[int, str], dict[int, dict[str, Any]], dict[int, ColumnOrder]]:
    """The type of each attribute column, from all its filled cells (in lines that have no
    more cells than the header: in the others, values may sit under the wrong column), the
    values its cells were read as, and the order of each column that may hold dates (the
    account's `order` unless its values or the `date_order` `option` tell otherwise)."""
    whole = [
        line.cells
        for line in lines
        if isinstance(line, Line) and (len(line.cells) <= width or not overflow(line, width))
    ]
    exact = [cells for cells in whole if len(cells) == width]
    others = [cells for cells in whole if len(cells) != width] if len(exact) < len(whole) else []
    types, values, orders = {}, {}, {}
    for column in columns:
        kind = LEGAL_FIELDS.get(column.field) if column.field else None
        if column.attribute is None and kind not in LEGAL_DATES:
            continue
        cells = column_counts(exact, others, column.index)
        if column.attribute is not None:
            kind, values[column.index] = infer_type(cells)
            types[column.index] = kind
        if kind in LEGAL_DATES:
            forced = forced_order(option, column.header)
            orders[column.index] = column_order(cells, order, forced)
            values.pop(column.index, None)  # read again in the column's order
    return types, values, orders


def column_counts(exact: list[list[str]], others: list[list[str]], index: int) -> Counter[str]:
    """How often each stripped text cell of column `index` comes ("" where a line is short),
    as `cell_at` reads them, in the lines as wide as the header (`exact`) and the `others`.
    Counting before stripping strips each distinct cell once."""
    counts = Counter(map(itemgetter(index), exact))
    counts.update(cells[index] if index < len(cells) else "" for cells in others)
    cells = list(counts)
    stripped = list(map(str.strip, cells))
    if stripped == cells:
        return counts
    tidy: Counter[str] = Counter()
    for cell, plain in zip(cells, stripped, strict=True):
        tidy[plain] += counts[cell]
    return tidy

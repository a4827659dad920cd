"""Reading a CSV as spreadsheets export it: UTF-8 with or without BOM, else Windows-1252 (French
Excel); comma, semicolon or tab; quoted fields; blank lines skipped."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import NamedTuple

DELIMITERS = (";", ",", "\t")


class UnreadableFile(ValueError):
    """The file is not a CSV we can read at all; the message says what to fix."""


class Line(NamedTuple):
    """One CSV record, numbered by the file line it starts on (1 = the header). A tuple:
    a big file makes hundreds of thousands of them."""

    number: int
    cells: list[str]


def decode(data: bytes) -> tuple[str, str]:
    """The text of `data` and the encoding it was read in."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        # Windows-1252 maps almost every byte: what it does not is replaced, never fatal.
        return data.decode("cp1252", errors="replace"), "windows-1252"


def sniff_delimiter(header: str) -> str:
    """The delimiter of a header line: the one of ; , tab found most outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    raise UnreadableFile("The file is empty: it needs a header line naming its columns.")


def read_lines(data: bytes) -> tuple[list[str], Iterator[Line], dict[str, str]]:
    """The header's cells, the records after it (blank lines left out) and how the file was
    read (`encoding`, `delimiter`)."""
    text, encoding = decode(data)
    if "\x00" in text:
        raise UnreadableFile("This is not a text file: export the sheet as CSV.")
    delimiter = sniff_delimiter(first_line(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    started = 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            header = [cell.strip() for cell in cells]
            started = reader.line_num + 1
            break
    if header is None:
        raise UnreadableFile("The file is empty: it needs a header line naming its columns.")
    return header, records(reader, started), {"encoding": encoding, "delimiter": delimiter}


def records(reader, next_line: int) -> Iterator[Line]:
    """The reader's non-blank records, each with the line it starts on."""
    try:
        for cells in reader:
            start, next_line = next_line, reader.line_num + 1
            if "".join(cells).strip():  # not a blank line
                yield Line(start, cells)
    except csv.Error as error:
        raise UnreadableFile(f"Line {reader.line_num}: {error}.") from None

"""Reading a CSV as spreadsheets export it: UTF-8 with or without BOM, else Windows-1252 (French
Excel); comma, semicolon or tab; quoted fields, a quoted cell over several lines included.

Every physical line of the file is accounted for (`Tally`): the header, blank lines, the lines
of records, the lines a quoted cell continues onto, and lines refused whole (`BadLine`): a quote
opened and never closed is a bad line named by its own number, and reading goes on at the next
line (the csv module would read the rest of the file into that one cell)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from voicecast.imports.reasons import Reasoned

DELIMITERS = (";", ",", "\t")
# A quoted cell may hold line breaks (Excel writes Alt+Enter so): it is looked for this many
# lines at most before its opening quote is taken for a stray one.
MAX_RECORD_LINES = 50


class UnreadableFile(Reasoned):
    """The file is not a CSV we can read at all; the message says what to fix."""


class Line(NamedTuple):
    """One CSV record, numbered by the file line it starts on (1 = the header). A tuple:
    a big file makes hundreds of thousands of them."""

    number: int
    cells: list[str]


class BadLine(NamedTuple):
    """A physical line that is no record: a quote opened in it never closes."""

    number: int
    code: str
    params: dict


UNBALANCED_QUOTE = "unbalanced_quote"


@dataclass
class Tally:
    """What each physical line of the file was; `records` and `bad` are the lines read as
    rows (each then imported or rejected), `continued` the lines a quoted cell ran onto."""

    lines: int = 0
    header: int = 0
    empty: int = 0
    continued: int = 0

    def describe(self, records: int) -> dict[str, int]:
        return {
            "lines": self.lines,
            "header_lines": self.header,
            "empty_lines": self.empty,
            "continuation_lines": self.continued,
            "record_lines": records,
        }


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


def physical_lines(text: str) -> list[str]:
    """The file's lines, whatever ends them (CRLF, LF or CR); a last line without its line
    break is a line, an empty string after the last break is not."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def ends_quoted(text: str, delimiter: str) -> bool:
    """Whether `text` ends inside a quoted cell, as the csv module reads quotes: a quote
    opens a cell only at its start, and two quotes inside one are a quote."""
    quoted, at_start, index, size = False, True, 0, len(text)
    while index < size:
        char = text[index]
        if quoted:
            if char == '"':
                if index + 1 < size and text[index + 1] == '"':
                    index += 1
                else:
                    quoted = False
        elif char == delimiter:
            at_start = True
            index += 1
            continue
        elif char == '"' and at_start:
            quoted = True
        at_start = False
        index += 1
    return quoted


def parse(text: str, delimiter: str, strict: bool = False) -> list[str] | None:
    """The cells of one record's text; None if the csv module refuses it."""
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=strict), [])
    except csv.Error:
        return None


def is_blank(cells: list[str]) -> bool:
    return not "".join(cells).strip()


class LineReader:
    """Reads the records of a file's lines, counting what each line was in `tally`."""

    def __init__(self, lines: list[str], delimiter: str) -> None:
        self.lines, self.delimiter, self.tally = lines, delimiter, Tally(lines=len(lines))
        self.width = 0  # the header's cells, once read
        self.next = 0  # the line after the header, once read

    def record(self, index: int) -> tuple[list[str] | BadLine, int]:
        """The record starting at line `index` (from 0), and how many lines it takes."""
        line, delimiter = self.lines[index], self.delimiter
        if '"' not in line:
            return line.split(delimiter), 1
        if not ends_quoted(line, delimiter):
            cells = parse(line, delimiter)
            return (cells, 1) if cells is not None else (self.bad(index), 1)
        text, inner = line, self.width - 1
        last = min(len(self.lines), index + MAX_RECORD_LINES)
        for end in range(index + 1, last):
            following = self.lines[end]
            text += "\n" + following
            if not ends_quoted(text, delimiter):
                # A cell over several lines: it must close cleanly and the record fill the
                # header's columns exactly, else the first quote was a stray one.
                cells = parse(text, delimiter, strict=True)
                if cells is not None and (not self.width or len(cells) == self.width):
                    return cells, end - index + 1
                break
            if self.width > 1 and following.count(delimiter) >= inner:
                break  # a whole row of its own: the quote before it was a stray one
        return self.bad(index), 1

    def bad(self, index: int) -> BadLine:
        return BadLine(index + 1, UNBALANCED_QUOTE, {})

    def header(self) -> list[str]:
        """The first non-blank record's cells, stripped; blank lines before it counted."""
        index = 0
        while index < len(self.lines):
            found, taken = self.record(index)
            if isinstance(found, list) and not is_blank(found):
                self.tally.header += 1
                self.tally.continued += taken - 1
                self.next, self.width = index + taken, len(found)
                return [cell.strip() for cell in found]
            if isinstance(found, BadLine):
                raise UnreadableFile("header_unbalanced_quote", line=found.number)
            self.tally.empty += taken
            index += taken
        raise UnreadableFile("empty_file")

    def records(self) -> Iterator[Line | BadLine]:
        """The records after the header, with their first line's number, and the bad lines."""
        index, total, tally = self.next, len(self.lines), self.tally
        lines, delimiter, record = self.lines, self.delimiter, self.record
        blank = delimiter + " \t"
        while index < total:
            line = lines[index]
            if '"' not in line:  # most lines: no quotes, one record
                if line.strip(blank):
                    yield Line(index + 1, line.split(delimiter))
                else:
                    tally.empty += 1
                index += 1
                continue
            found, taken = record(index)
            if isinstance(found, BadLine):
                yield found
            elif is_blank(found):
                tally.empty += 1
                tally.continued += taken - 1
            else:
                tally.continued += taken - 1
                yield Line(index + 1, found)
            index += taken


def read_lines(data: bytes) -> tuple[list[str], Iterator[Line | BadLine], dict, Tally]:
    """The header's cells, the records after it (blank lines left out, refused lines as
    BadLine), how the file was read (`encoding`, `delimiter`) and the tally of its lines
    (complete once the records are read)."""
    text, encoding = decode(data)
    if "\x00" in text:
        raise UnreadableFile("not_text")
    lines = physical_lines(text)
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise UnreadableFile("empty_file")
    delimiter = sniff_delimiter(first)
    reader = LineReader(lines, delimiter)
    header = reader.header()
    how = {"encoding": encoding, "delimiter": delimiter}
    return header, reader.records(), how, reader.tally

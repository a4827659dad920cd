"""Reading a big file's rows in several processes: checking each row (its number above all)
is most of an import's CPU, and one Python process uses one core while the others wait.

The readers are forked once the lines are read, so they start with the lines, the columns'
types and the account's sellers without copying them. Reader k reads batches k, k + n,
k + 2n... and writes each down its own pipe: the rows as tuples (they cross a pipe several
times faster than objects) and the cells that did not fit. The importing process takes the
batches in file order, round robin, and keeps everything order matters for: the file's
duplicates, matching known contacts and storing. A reader is at most one batch ahead (its pipe
holds it back), so memory stays bounded.

Plain os.fork rather than multiprocessing's pool: a worker process may run threads (a test's,
a library's), and a forked child that touched a lock one of them held (a pool worker flushes
stdout when it ends) would wait forever. A reader only computes, writes to its pipe and leaves
with os._exit. Without fork (or for a small file, where forking costs more than it saves) the
rows are read in-process, the same way.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
import traceback
from collections.abc import Iterator
from dataclasses import fields
from operator import attrgetter

from voicecast.imports.columns import Column
from voicecast.imports.copying import contact_text
from voicecast.imports.rows import (
    CellFailure,
    ContactRow,
    Rejected,
    RowContext,
    RowReader,
    deduplicated,
    read_line,
)
from voicecast.imports.source import BadLine, Line
from voicecast.proc import load_prctl, parent_death_signal_setter

# Below this many lines a file is read in-process: forking costs about a tenth of a second.
PARALLEL_FROM = 20_000
BATCH = 5_000  # lines a reader reads at a time
ROW_FIELDS = tuple(field.name for field in fields(ContactRow))
as_tuple = attrgetter(*ROW_FIELDS)
SIZE = struct.Struct("!Q")  # each message: its length, then a pickle


class ReaderFailed(RuntimeError):
    """A reader process stopped without reading its batch (its traceback, if it had one)."""


def read_rows_in_processes(
    lines: list[Line | BadLine],
    columns: list[Column],
    width: int,
    context: RowContext,
    key: str,
    processes: int,
    copied: bool = False,
) -> Iterator[ContactRow | Rejected]:
    """The file's contacts and its refused rows, in file order (a second row with the same
    `key`, "phone" or "external_id", as an earlier one refused), read by `processes`
    processes when the file is big enough; the list is emptied as it is read. `copied`: the
    readers write each row's COPY text too (PostgreSQL's bulk path), off the main process."""
    reader = RowReader(columns, width, context)
    if processes < 2 or len(lines) < PARALLEL_FROM or not hasattr(os, "fork"):
        items = (read_line(reader, line) for line in drained(lines))
    else:
        items = read_in_processes(reader, lines, context, processes, copied)
    return deduplicated(items, key)


def drained(lines: list[Line | BadLine]) -> Iterator[Line | BadLine]:
    """The lines in order, each let go once read: the records of a big file are freed while
    what matching remembers grows, instead of both being held at once."""
    for index, line in enumerate(lines):
        lines[index] = None  # type: ignore[call-overload]
        yield line


def read_in_processes(
    reader: RowReader,
    lines: list[Line | BadLine],
    context: RowContext,
    processes: int,
    copied: bool,
) -> Iterator[ContactRow | Rejected]:
    """The readers are forked here, at once (not when the first row is asked for), before
    the caller starts storing with a thread of its own."""
    batches = [(start, min(start + BATCH, len(lines))) for start in range(0, len(lines), BATCH)]
    readers = [fork_reader(reader, lines, batches[k::processes], copied) for k in range(processes)]
    return batches_read(readers, batches, lines, context)


def batches_read(readers: list[tuple[int, int]], batches, lines, context: RowContext):
    try:
        for number, (start, end) in enumerate(batches):
            rows, failures = receive(readers[number % len(readers)][1])
            lines[start:end] = [None] * (end - start)
            context.failures.extend(CellFailure(*failure) for failure in failures)
            for row in rows:
                yield ContactRow(*row) if isinstance(row, tuple) else row
    finally:  # read to the end or not (a failure to store), no reader outlives the import
        for pid, pipe in readers:
            os.close(pipe)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def fork_reader(
    reader: RowReader, lines, batches: list[tuple[int, int]], copied: bool
) -> tuple[int, int]:
    """Fork a reader of `batches`; its pid, and the pipe to read its batches from."""
    readable, writable = os.pipe()
    on_parent_death = parent_death_signal_setter(load_prctl())
    pid = os.fork()
    if pid:
        os.close(writable)
        return pid, readable
    status = 0
    try:
        os.close(readable)
        if on_parent_death is not None:
            on_parent_death()
        for bounds in batches:
            send(writable, read_batch(reader, lines, bounds, copied))
    except BaseException:  # the importing process raises it, with this traceback
        status = 1
        send(writable, ReaderFailed(traceback.format_exc()))
    finally:
        os._exit(status)  # nothing of the parent's (atexit, buffers, connections) runs here


def read_batch(
    reader: RowReader, lines, bounds: tuple[int, int], copied: bool
) -> tuple[list, list[tuple]]:
    """The rows of lines [start, end) (tuples, or Rejected; `copied`: with their COPY text)
    and the cells among them that did not fit their column (as tuples)."""
    failures = reader.failures
    before = len(failures)
    rows = []
    for index in range(*bounds):
        row = read_line(reader, lines[index])
        if isinstance(row, ContactRow):
            if copied:
                row.copied = contact_text(row)
            row = as_tuple(row)
        rows.append(row)
    found = [(f.line, f.column, f.value, f.code) for f in failures[before:]]
    del failures[before:]
    return rows, found


def send(pipe: int, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(SIZE.pack(len(data)) + data)
    while view:
        view = view[os.write(pipe, view) :]


def receive(pipe: int):
    """The next message on `pipe`; raises ReaderFailed for a reader's failure or its end."""
    size = SIZE.unpack(read_exactly(pipe, SIZE.size))[0]
    message = pickle.loads(read_exactly(pipe, size))
    if isinstance(message, ReaderFailed):
        raise message
    return message


def read_exactly(pipe: int, size: int) -> bytes:
    parts, left = [], size
    while left:
        part = os.read(pipe, min(left, 1 << 20))
        if not part:
            raise ReaderFailed("a reader process ended before sending its batch")
        parts.append(part)
        left -= len(part)
    return b"".join(parts)

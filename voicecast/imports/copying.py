"""An import's bulk path on PostgreSQL: COPY text written in one piece (a tenth of the CPU of
an INSERT of many VALUES, half that of psycopg's row by row), stored on a connection of its own
in a thread (PostgreSQL stores one window while Python reads the next: the driver lets the GIL
go while it waits): new contacts COPYed into the table, known ones updated through a temporary
table."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from queue import Queue
from threading import Thread
from typing import Any

from voicecast.extensions import db
from voicecast.imports.legal import LEGAL_COLUMNS, LegalCells, merged
from voicecast.imports.rows import KEPT_UNLESS_GIVEN, ContactRow
from voicecast.imports.standing import StandingCount

COPIED = ("account_id", "phone", "first_name", "last_name", "email", "external_id",
          "postal_code", "seller_id", "line_type", "timezone", "alt_timezone", "regions",
          "attributes", *LEGAL_COLUMNS,
          "created_at", "updated_at")  # fmt: skip
COPY_NEW = f"COPY contacts ({', '.join(COPIED)}) FROM STDIN"
# COPY's text format: these characters are written escaped, and \N is NULL.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
NULL, TAB = "\\N", "\t"
NO_LEGAL = TAB.join([NULL] * len(LEGAL_COLUMNS))
to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
AHEAD = 2  # texts (windows) waiting at most: bounded memory


class CopyWriter:
    """Stores an import's contacts in the background: `insert` COPYs new contacts, `update`
    applies changes to known ones; each text is committed on its own, in the order given.
    `count` counts the standing (voicecast.imports.standing) of numbers once what was given
    before is committed: the count's queries wait on PostgreSQL while the import reads on.
    `close` waits for all, raises the first failure, and returns how many known contacts
    the updates changed."""

    def __init__(self, standing: StandingCount | None = None) -> None:
        self.engine = db.engine
        self.connection = self.engine.raw_connection()
        self.standing = standing
        self.pending: Queue[tuple[str, Any, Changes | None] | None] = Queue(maxsize=AHEAD)
        self.failure: BaseException | None = None
        self.changed = 0
        self.thread = Thread(target=self.run, name="contacts-copy", daemon=True)
        self.thread.start()

    def insert(self, text: str) -> None:
        """Create contacts from COPY text in COPIED's order."""
        self.put("insert", text)

    def update(self, text: str, changes: Changes) -> None:
        """Change known contacts from COPY text in COPIED's order, ids first; `changes`: the
        same contacts' ids and the legal basis their rows give (see `apply_changes`)."""
        self.put("update", text, changes)

    def count(self, phones: list[str]) -> None:
        """Add the contacts at `phones` to `standing`, as they are once stored."""
        if self.standing is not None and phones:
            self.put("count", phones)

    def put(self, kind: str, work: Any, changes: Changes | None = None) -> None:
        if self.failure is not None:
            self.close()
        self.pending.put((kind, work, changes))

    def run(self) -> None:
        connection = self.connection.driver_connection
        while (item := self.pending.get()) is not None:
            if self.failure is not None:
                continue  # drain what is queued: the first failure is what counts
            kind, work, changes = item
            try:
                if kind == "count":
                    self.count_now(work)
                    continue
                with connection.cursor() as cursor:
                    if kind == "update":
                        self.changed += apply_changes(cursor, work, changes)
                    else:
                        with cursor.copy(COPY_NEW) as copy:
                            copy.write(work)
                connection.commit()
            except BaseException as error:  # handed to the caller by close()
                connection.rollback()
                self.failure = error

    def count_now(self, phones: list[str]) -> None:
        assert self.standing is not None
        with self.engine.connect() as counting:
            for statement in self.standing.statements(phones):
                self.standing.add(counting.execute(statement))

    def close(self) -> int:
        """Wait until every text is stored; raise the first failure, if any."""
        if self.thread.is_alive():
            self.pending.put(None)
            self.thread.join()
        self.connection.close()
        if self.failure is not None:
            raise self.failure
        return self.changed


def copy_text(account_id: int, rows: list[ContactRow], now: datetime) -> str:
    return copy_lines([str(account_id)] * len(rows), rows, now)


def copy_lines(
    firsts: list[str], rows: list[ContactRow], now: datetime, flagged: bool = False
) -> str:
    """COPY text of `rows` in COPIED's order, each line starting with its `firsts` value;
    `flagged`: each line ends with whether the row sets the legal basis (CHANGES_TABLE)."""
    stamps = f"{now.isoformat()}\t{now.isoformat()}"  # created_at, updated_at
    legal_texts: dict[int, str] = {}  # new contacts with equal cells share their values
    lines = []
    for first, row in zip(firsts, rows, strict=True):
        values = row.legal_values
        if values is None:
            legal = NO_LEGAL
        elif (legal := legal_texts.get(id(values))) is None:
            legal = legal_texts[id(values)] = legal_text(values)
        flag = ("\tf" if values is None else "\tt") if flagged else ""
        lines.append(f"{first}\t{row.copied or contact_text(row)}\t{legal}\t{stamps}{flag}")
    return "\n".join(lines) + "\n"


def contact_text(row: ContactRow) -> str:
    """A row's columns from phone to attributes, in COPIED's order and COPY's text format (a
    reader process writes it as it reads the row: `voicecast.imports.parallel`)."""
    texts = [row.phone, row.first_name, row.last_name, row.email, row.external_id,
             row.postal_code, row.line_type, row.timezone, row.alt_timezone, row.regions,
             to_json(row.attributes)]  # fmt: skip
    if NEEDS_ESCAPE.search("".join([text for text in texts if text])):  # rare
        plain = [NULL if text is None else text.translate(COPY_ESCAPES) for text in texts]
    else:
        plain = [NULL if text is None else text for text in texts]
    seller = NULL if row.seller_id is None else str(row.seller_id)
    # seller_id goes between postal_code and line_type, as in COPIED
    return f"{TAB.join(plain[:6])}\t{seller}\t{TAB.join(plain[6:])}"


def legal_text(values: dict) -> str:
    """The legal-basis columns in COPY text (dates and UTC times in ISO form)."""
    texts = []
    for name in LEGAL_COLUMNS:
        value = values[name]
        if value is None:
            texts.append(NULL)
        elif isinstance(value, str):
            texts.append(value.translate(COPY_ESCAPES))
        else:
            texts.append(value.isoformat())
    return TAB.join(texts)


# Made and dropped within the transaction that uses it: behind a pooler in transaction mode the
# next transaction may run on another server connection, and a server connection may have kept
# a table of that name from another client (a release that kept it for the session): dropped
# first, never taken as it is, columns and all.
DROP_CHANGES_TABLE = "DROP TABLE IF EXISTS pg_temp.contact_changes"
CHANGES_TABLE = (
    "CREATE TEMPORARY TABLE contact_changes (id integer, phone text,"
    " first_name text, last_name text, email text, external_id text, postal_code text,"
    " seller_id integer, line_type text, timezone text, alt_timezone text, regions text,"
    " attributes jsonb,"
    " consent_at timestamptz, consent_source text, consent_proof text,"
    " consent_withdrawn_at timestamptz, contract_kind text, contract_ends_on date,"
    " created_at timestamptz, updated_at timestamptz, legal boolean) ON COMMIT DROP"
)
COPY_CHANGES = f"COPY contact_changes (id, {', '.join(COPIED[1:])}, legal) FROM STDIN"
# A known contact's new values: what a row leaves empty is kept, its attributes are merged
# over the contact's.
NEW_VALUES = {
    "phone": "t.phone",
    **{name: f"COALESCE(t.{name}, c.{name})" for name in KEPT_UNLESS_GIVEN},
    "line_type": "t.line_type",
    "timezone": "COALESCE(t.timezone, c.timezone)",
    # the second zone goes with the first: kept only when the row gives no zone
    "alt_timezone": "CASE WHEN t.timezone IS NULL THEN c.alt_timezone ELSE t.alt_timezone END",
    "regions": "COALESCE(t.regions, c.regions)",
    "attributes": "c.attributes || t.attributes",
    # the legal basis as voicecast.imports.legal.merged made it, for the rows that set it
    **{name: f"CASE WHEN t.legal THEN t.{name} ELSE c.{name} END" for name in LEGAL_COLUMNS},
}
# A contact the row would not change is not written at all (most of a monthly re-export), and
# keeps its updated_at.
UPDATE_FROM_CHANGES = (
    "UPDATE contacts c SET "
    + ", ".join(f"{name} = {value}" for name, value in NEW_VALUES.items())
    + ", updated_at = t.updated_at FROM contact_changes t WHERE c.id = t.id AND ("
    + ", ".join(f"c.{name}" for name in NEW_VALUES)
    + ") IS DISTINCT FROM ("
    + ", ".join(NEW_VALUES.values())
    + ")"
)
# The planner, which cannot know the temporary table's size, would hash the whole contacts
# table for each window (0.22 s per 10,000 rows over 200,000 contacts, growing with the
# table); looking each id up in the primary key takes a tenth of that.
BY_PRIMARY_KEY = ("SET LOCAL enable_hashjoin = off", "SET LOCAL enable_mergejoin = off")


@dataclass
class Changes:
    """What a text of changes does, beside its text: the contacts it changes (`ids`), and for
    those whose row gives a legal basis, the row's cells and the columns the text writes
    (`voicecast.imports.legal.merged` of the contact as the window found it)."""

    ids: list[int]
    now: datetime
    legal: list[tuple[int, LegalCells, dict[str, Any]]] = field(default_factory=list)


LOCK_CHANGED = (
    f"SELECT id, {', '.join(LEGAL_COLUMNS)} FROM contacts WHERE id = ANY(%s) ORDER BY id FOR UPDATE"
)
SET_LEGAL = (
    f"UPDATE contacts SET {', '.join(f'{name} = %s' for name in LEGAL_COLUMNS)} WHERE id = %s"
)


def apply_changes(cursor, text: str, changes: Changes) -> int:
    """Apply COPY text of changes (ids first) to the contacts they name: COPYed into a
    temporary table, then one UPDATE ... FROM it (an UPDATE per contact cost 35 s for 200,000)
    of the contacts they change. Returns how many were changed; does not commit.

    The contacts are locked first (in the order of their ids, as `POST /contacts/consents`
    locks them), and the legal basis of each row that gives one is joined again to what the
    contact has now: one written since the window was looked up (a consent the API recorded
    meanwhile) is kept as `merged` keeps it, never overwritten."""
    cursor.execute(LOCK_CHANGED, (changes.ids,))
    now_on_record = {
        contact_id: dict(zip(LEGAL_COLUMNS, legal, strict=True))
        for contact_id, *legal in cursor.fetchall()
    }
    again = [
        (*(values[name] for name in LEGAL_COLUMNS), contact_id)
        for contact_id, cells, written in changes.legal
        if contact_id in now_on_record
        and (values := merged(now_on_record[contact_id], cells, changes.now)) != written
    ]
    cursor.execute(DROP_CHANGES_TABLE)
    cursor.execute(CHANGES_TABLE)
    with cursor.copy(COPY_CHANGES) as copy:
        copy.write(text)
    for setting in BY_PRIMARY_KEY:  # until the transaction ends
        cursor.execute(setting)
    cursor.execute(UPDATE_FROM_CHANGES)
    changed = cursor.rowcount
    if again:  # rare: written by another while this window was read
        cursor.executemany(SET_LEGAL, again)
    return changed

"""New contacts written by COPY on a connection of its own, in a thread: PostgreSQL stores one
chunk while Python reads the next (the driver lets the GIL go while it waits)."""

from __future__ import annotations

from queue import Queue
from threading import Thread

from voicecast.extensions import db

AHEAD = 12  # chunks waiting at most (a window and then some): bounded memory


class CopyWriter:
    """Runs `statement` (a COPY ... FROM STDIN) once per text given to `write`, each committed
    on its own; `close` waits for all and raises the first failure."""

    def __init__(self, statement: str) -> None:
        self.statement = statement
        self.connection = db.engine.raw_connection()
        self.pending: Queue[str | None] = Queue(maxsize=AHEAD)
        self.failure: BaseException | None = None
        self.thread = Thread(target=self.run, name="contacts-copy", daemon=True)
        self.thread.start()

    def write(self, text: str) -> None:
        if self.failure is not None:
            self.close()
        self.pending.put(text)

    def run(self) -> None:
        connection = self.connection.driver_connection
        while (text := self.pending.get()) is not None:
            if self.failure is not None:
                continue  # drain what is queued: the first failure is what counts
            try:
                with connection.cursor() as cursor, cursor.copy(self.statement) as copy:
                    copy.write(text)
                connection.commit()
            except BaseException as error:  # handed to the caller by close()
                connection.rollback()
                self.failure = error

    def close(self) -> None:
        """Wait until every text is stored; raise the first failure, if any."""
        if self.thread.is_alive():
            self.pending.put(None)
            self.thread.join()
        self.connection.close()
        if self.failure is not None:
            raise self.failure

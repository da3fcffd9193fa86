"""Group commit for the ledger: one DuckDB connection shared by the push's worker threads.

Each caller hands over a unit of work and gets its result back once that work is
committed. Whichever thread holds the connection commits every unit queued so far in one
transaction, so one WAL sync serves every invoice in flight, and a caller still returns
only when its own work is durable (what write-ahead needs).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

import duckdb

T = TypeVar("T")


class _Ticket(Generic[T]):
    """One caller's transaction work, waiting for a group commit."""

    def __init__(self, work: Callable[[duckdb.DuckDBPyConnection], T]):
        self.work = work
        self.done = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value


class GroupCommit:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.lock = threading.Lock()  # the connection: one transaction or read at a time
        self._queue_lock = threading.Lock()
        self._queue: list[_Ticket] = []

    def run(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Runs `work` in a committed transaction (maybe shared) and returns its result.
        When a shared transaction fails, each work is rerun alone (`work` re-reads what it
        depends on), so one work's error never reaches another caller."""
        ticket = _Ticket(work)
        with self._queue_lock:
            self._queue.append(ticket)
        with self.lock:
            if not ticket.done:
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._commit_group(group)
        return ticket.result()

    def _commit_group(self, group: list[_Ticket]) -> None:
        try:
            if len(group) > 1 and self._commit_together(group):
                return
            for ticket in group:
                try:
                    ticket.value = self._commit_alone(ticket.work)
                except Exception as exc:  # noqa: BLE001 (handed to the caller it belongs to)
                    ticket.error = exc
                ticket.done = True
        finally:  # interrupted (KeyboardInterrupt...): no caller may take a missing result
            for ticket in group:
                if not ticket.done:
                    ticket.error = ticket.error or RuntimeError(
                        "the ledger transaction was interrupted"
                    )
                    ticket.done = True

    def _commit_together(self, group: list[_Ticket]) -> bool:
        """Every work of the group in one transaction; False (rolled back) when one fails."""
        self.con.execute("begin transaction")
        try:
            values = [ticket.work(self.con) for ticket in group]
            self.con.execute("commit")
        except Exception:  # noqa: BLE001 (each work is rerun alone and reports its own error)
            _rollback(self.con)
            return False
        except BaseException:
            _rollback(self.con)
            raise
        for ticket, value in zip(group, values, strict=True):
            ticket.value, ticket.done = value, True
        return True

    def _commit_alone(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """One work in its own transaction. A write-write conflict with another connection
        (two ledgers on one database in one process) is retried after a short pause."""
        for tries in range(1, 7):
            self.con.execute("begin transaction")
            try:
                result = work(self.con)
                self.con.execute("commit")
                return result
            except (duckdb.TransactionException, duckdb.ConstraintException):
                _rollback(self.con)
                if tries == 6:
                    raise
            except BaseException:
                _rollback(self.con)
                raise
            time.sleep(0.005 * 2**tries)  # the connection lock is held: a short, bounded pause
        raise AssertionError("unreachable")


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("rollback")
    except duckdb.Error:
        pass  # the failed commit already ended the transaction

"""The embedded default's lock store (bot/stores.py `SQLiteLockStore`): one message of a
conversation at a time, across the Sanic workers' processes."""
from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path

import pytest

from bot.stores import SQLiteLockStore


def _issue(path: str, conversation: str, count: int, queue: multiprocessing.Queue) -> None:
    store = SQLiteLockStore(db=path)
    queue.put([store.issue_ticket(conversation) for _ in range(count)])


def test_tickets_issued_by_two_processes_at_once_are_unique_and_in_sequence(tmp_path: Path) -> None:
    """Rasa's base class reads, changes and saves a lock: without one transaction around
    that, two workers would be given the same ticket and serve one conversation together."""
    path = str(tmp_path / "locks.db")
    queue: multiprocessing.Queue = multiprocessing.Queue()
    workers = [multiprocessing.get_context("fork").Process(target=_issue, args=(path, "c1", 150, queue))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    tickets = queue.get(timeout=60) + queue.get(timeout=60)
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(tickets) == list(range(300))


def test_a_second_message_waits_for_the_first(tmp_path: Path) -> None:
    store = SQLiteLockStore(db=str(tmp_path / "locks.db"))
    order: list[str] = []

    async def turn(name: str, hold: float) -> None:
        async with store.lock("c1", wait_time_in_seconds=0.01):
            order.append(f"{name} starts")
            await asyncio.sleep(hold)
            order.append(f"{name} ends")

    async def both() -> None:
        first = asyncio.create_task(turn("first", 0.2))
        await asyncio.sleep(0.02)
        await asyncio.gather(first, turn("second", 0.0))

    asyncio.run(both())
    assert order == ["first starts", "first ends", "second starts", "second ends"]
    assert store.get_lock("c1") is None  # cleaned up when nobody waits


def test_a_failed_change_is_rolled_back_and_the_store_keeps_working(tmp_path: Path) -> None:
    store = SQLiteLockStore(db=str(tmp_path / "locks.db"))
    with pytest.raises(RuntimeError), store._transaction():
        store.save_lock(store.create_lock("c2"))
        raise RuntimeError("the worker failed mid-way")
    assert store.get_lock("c2") is None
    assert store.issue_ticket("c2") == 0


def test_a_lock_store_without_a_file_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="needs `db`"):
        SQLiteLockStore()

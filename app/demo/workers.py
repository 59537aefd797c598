"""Building batches in worker processes while the caller writes.

Workers are fresh interpreters running this module (``python -m app.demo.workers``),
not ``multiprocessing`` children: those re-import the caller's main module, which a
GUI or an unguarded script cannot afford. The protocol is pickles over the pipes:
the catalog once, then batches in; the rows of each batch out, in the order asked,
as :class:`~app.demo.tables.Rows` or, for SQLite, packed into a database image.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.demo.bulk import PackedRows
    from app.demo.catalog import Catalog
    from app.demo.generate import Batch
    from app.demo.tables import Rows

IN_FLIGHT_PER_WORKER = 2  # a slow writer never lets finished batches pile up
# Workers yield the CPU to the writer: it is the one that cannot be parallelised.
WORKER_NICENESS = 5
_SOURCE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding ``app``


class _Worker:
    def __init__(self, catalog: Catalog, pack: bool) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_SOURCE_ROOT, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.demo.workers"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.tasks: IO[bytes] = self.process.stdin
        self.results: IO[bytes] = self.process.stdout
        self.send((catalog, pack))

    def send(self, value: Any) -> None:
        pickle.dump(value, self.tasks, protocol=pickle.HIGHEST_PROTOCOL)
        self.tasks.flush()

    def receive(self) -> Rows | PackedRows:
        try:
            rows: Rows | PackedRows = pickle.load(self.results)
        except EOFError:
            code = self.process.wait()
            raise RuntimeError(f"demo worker stopped (exit code {code})") from None
        return rows

    def close(self) -> None:
        """End the worker: with all its answers read it exits on end-of-input at once;
        otherwise closing its output stops it."""
        for pipe in (self.tasks, self.results):
            with contextlib.suppress(OSError):
                pipe.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def build_in_workers(
    catalog: Catalog, batches: Sequence[Batch], count: int, *, pack: bool
) -> Iterator[Rows | PackedRows]:
    """The rows of each batch in order, built by ``count`` worker processes."""
    workers = [_Worker(catalog, pack) for _ in range(count)]
    try:
        pending: deque[_Worker] = deque()  # whose answer comes next, in batch order
        upcoming = iter(batches)
        for _ in range(IN_FLIGHT_PER_WORKER):
            for worker in workers:
                batch = next(upcoming, None)
                if batch is None:
                    break
                worker.send(batch)
                pending.append(worker)
        while pending:
            worker = pending.popleft()
            rows = worker.receive()
            batch = next(upcoming, None)
            if batch is not None:
                worker.send(batch)
                pending.append(worker)
            yield rows
    finally:
        for worker in workers:
            worker.close()


def main() -> None:
    """Worker side: read the catalog, then build each batch asked for until stdin ends."""
    from app.demo.bulk import pack_rows
    from app.demo.generate import build_batch

    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    tasks, results = sys.stdin.buffer, sys.stdout.buffer
    catalog, pack = pickle.load(tasks)
    while True:
        try:
            batch = pickle.load(tasks)
        except EOFError:
            return
        rows = build_batch(catalog, batch)
        answer = pack_rows(rows) if pack else rows
        pickle.dump(answer, results, protocol=pickle.HIGHEST_PROTOCOL)
        results.flush()


if __name__ == "__main__":
    main()

"""Check many files on every core; the results do not depend on how.

Worker processes pay for themselves only when there is real work to do, so the
pool starts only when the files add up to more than `PARALLEL_THRESHOLD_BYTES`.
Biggest files go first, one per task, so the last task to finish is a small one.
Output order is the caller's business (findings are sorted at the end), so
which worker checked what never shows.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from guardrails.config import Config
from guardrails.engine.catalogue import RuleSet
from guardrails.engine.file_check import FileJob, check_job
from guardrails.types import FileResult

# Fewer bytes than this are checked in-process: starting workers would cost more.
PARALLEL_THRESHOLD_BYTES = 256 * 1024

# Cyclic-GC thresholds while checking: a young-generation pass every 50,000
# allocations instead of 700, an oldest-generation pass almost never.
_FEW_COLLECTIONS = (50_000, 50, 1000)

# How often a worker looks whether its parent is still there.
_PARENT_POLL_SECONDS = 0.2

_worker_state: tuple[Config, RuleSet] | None = None


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _start_worker(config: Config, rules: RuleSet, parent: int) -> None:
    global _worker_state
    _worker_state = (config, rules)
    # Ctrl-C reaches the whole process group: the parent alone answers it (it
    # stops the workers), so no worker prints a traceback of its own. SIGINT
    # was blocked since the fork (`_forking`): one sent meanwhile is dropped.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    gc.set_threshold(*_FEW_COLLECTIONS)  # as `_few_collections`, if not forked
    threading.Thread(
        target=_exit_with_parent, args=(parent,), name="exit-with-parent", daemon=True
    ).start()


def _exit_with_parent(parent: int) -> None:
    """A parent killed outright (SIGKILL, out of memory) never closes the task
    queue, which every forked worker holds open too: its workers would wait for
    work for ever. An orphan is adopted by another process, so a new parent id
    means there is no one left to work for."""
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(1)


def _check_in_worker(job: FileJob) -> FileResult:
    assert _worker_state is not None, "worker started without its state"
    config, rules = _worker_state
    return check_job(job, config, rules)


@contextmanager
def _few_collections() -> Iterator[None]:
    """Syntax trees are millions of short-lived objects, freed by reference
    counting; the cyclic collector's passes (every 700 allocations by default)
    only cost time here, about an eighth of a cold check. Forked workers
    inherit the setting."""
    thresholds = gc.get_threshold()
    gc.freeze()  # what is loaded by now is never garbage: stop scanning it
    gc.set_threshold(*_FEW_COLLECTIONS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def check_jobs(
    jobs: Sequence[FileJob], config: Config, rules: RuleSet, workers: int | None
) -> Iterator[tuple[FileJob, FileResult]]:
    """Every job with its result, in no particular order."""
    with _few_collections():
        yield from _check_jobs(jobs, config, rules, workers)


def _size(job: FileJob) -> int:
    try:
        return job.path.stat().st_size
    except OSError:
        return 0  # reading it will say what is wrong, wherever that happens


def _check_jobs(
    jobs: Sequence[FileJob], config: Config, rules: RuleSet, workers: int | None
) -> Iterator[tuple[FileJob, FileResult]]:
    # Sizes from `stat`: reading every file here first, to pre-scan it, would
    # keep the workers waiting for as long as the reading took.
    sized = sorted(
        ((_size(job), job) for job in jobs),
        key=lambda item: (-item[0], item[1].display_path),
    )
    if workers is None:
        total = sum(size for size, _ in sized)
        workers = (
            min(available_cores(), len(sized))
            if total > PARALLEL_THRESHOLD_BYTES
            else 1
        )
    ordered = [job for _, job in sized]
    if workers <= 1 or len(ordered) <= 1:
        for job in ordered:
            yield job, check_job(job, config, rules)
        return
    yield from _check_in_pool(ordered, config, rules, workers)


def _check_in_pool(
    ordered: Sequence[FileJob],
    config: Config,
    rules: RuleSet,
    workers: int,
) -> Iterator[tuple[FileJob, FileResult]]:
    # Imported here: a run with little to parse never pays for them.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # Import the rules once here: forked workers then start with them loaded.
    rules.classes()
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    done: set[FileJob] = set()
    try:
        with _forking():  # the workers start here, on the first task
            pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=_start_worker,
                initargs=(config, rules, os.getpid()),
            )
            futures = pool.map(_check_in_worker, ordered, chunksize=1)
        try:
            for job, result in zip(ordered, futures, strict=True):
                done.add(job)
                yield job, result
        except BaseException as stopped:
            if isinstance(stopped, (KeyboardInterrupt, GeneratorExit)):
                _stop_workers(pool)  # Ctrl-C, or no one reads on: stop now
            else:
                pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    except (BrokenProcessPool, OSError):
        # A worker died (out of memory, killed): finish here rather than fail.
        for job in ordered:
            if job not in done:
                yield job, check_job(job, config, rules)


def _stop_workers(pool: Any) -> None:
    """Ends the pool without waiting for the files being checked (a big one can
    take seconds): its workers are killed, the rest of the work dropped."""
    processes = list(getattr(pool, "_processes", {}).values())  # no public way
    manager = getattr(pool, "_executor_manager_thread", None)
    previous = threading.excepthook

    # Seeing its workers die, the pool's manager thread may try to fail a future
    # that shutdown has just cancelled and raise InvalidStateError (a race inside
    # concurrent.futures); the workers die on purpose, so it has nothing to say.
    def quiet(args: threading.ExceptHookArgs) -> None:
        if args.thread is not manager:
            previous(args)

    threading.excepthook = quiet
    try:
        for process in processes:
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join()
        if manager is not None:
            manager.join(timeout=10)
    finally:
        threading.excepthook = previous


@contextmanager
def _forking() -> Iterator[None]:
    """SIGINT blocked while workers are forked: one arriving in a worker before
    it ignores SIGINT would end it with a traceback (and leave the pool waiting
    for it); the parent gets its own SIGINT once this ends."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

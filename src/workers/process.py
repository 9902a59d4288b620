"""`portal worker`: the dramatiq worker on Redis and, when it leads, the schedule, in one process.

Threads:
- dramatiq's consumer and worker threads run the actors; each worker thread keeps its own
  event loop (src.workers.broker.run_async);
- the scheduler thread, with its own event loop, tries to lead the schedule
  (src.workers.scheduler): while it holds the leader's lock it runs the scheduled jobs, among
  them the outbox relay (`outbox.relay`, every OUTBOX_RELAY_INTERVAL or --relay-interval
  seconds) and the sweeper of stuck outbox rows (`outbox.sweep`, every OUTBOX_SWEEP_INTERVAL
  seconds); otherwise it stands by to take over.
No database connection pool is started in this process: an asyncpg pool belongs to one
event loop, and here there are several. Every query opens its own connection.
SIGTERM and SIGINT stop it cleanly: the scheduler finishes its running job and gives up the lead,
dramatiq finishes the messages in hand and gives prefetched ones back to Redis.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from src.settings import get_settings
from src.workers import broker as broker_module
from src.workers import scheduler

log = logging.getLogger("src.workers")


def run_worker(
    *,
    run_log: scheduler.RunLog,
    threads: int = 4,
    min_backoff_ms: int | None = None,
    max_backoff_ms: int | None = None,
    worker_timeout_ms: int = 250,
    with_scheduler: bool = True,
) -> int:
    import dramatiq

    settings = get_settings()
    if not settings.broker_is_redis:
        raise RuntimeError("the worker process needs REDIS_URL")
    broker_module.configure_retries(min_backoff_ms, max_backoff_ms)
    if max_backoff_ms is not None and max_backoff_ms >= settings.outbox_stale_after * 1000:
        log.warning(
            "--max-backoff (%d ms) is not below OUTBOX_STALE_AFTER (%s s): the outbox sweeper may hand "
            "over again a message dramatiq is still going to retry (harmless, the actors are idempotent)",
            max_backoff_ms,
            settings.outbox_stale_after,
        )

    stop = threading.Event()

    def ask_to_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, ask_to_stop) for sig in (signal.SIGTERM, signal.SIGINT)}

    jobs_scheduler: scheduler.LeaderThread | None = None
    if with_scheduler:
        jobs_scheduler = scheduler.LeaderThread(scheduler.leader_for(settings, run_log))
    worker = dramatiq.Worker(broker_module.broker, worker_threads=threads, worker_timeout=worker_timeout_ms)
    try:
        worker.start()
        if jobs_scheduler is not None:
            jobs_scheduler.start()
        log.info(
            "worker ready: %d threads, queues %s, scheduled jobs %s",
            threads,
            ", ".join(sorted(broker_module.broker.get_declared_queues())),
            ", ".join(job.name for job in scheduler.registered_jobs()) if with_scheduler else "off",
        )
        while not stop.wait(0.5):
            pass
    finally:
        if jobs_scheduler is not None:
            jobs_scheduler.stop()
        worker.stop(timeout=10_000)
        broker_module.broker.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("worker stopped")
    return 0

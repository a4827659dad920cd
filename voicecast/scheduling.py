"""RQ's scheduler (the process moving jobs queued with `enqueue_at`/`enqueue_in` to their queue
when due: dispatcher rounds, retries, webhook retries) held on a short lease, so that another
worker takes it over within seconds of its holder's death.

RQ lets one scheduler per queue run, under a lock in Redis (`rq:scheduler-lock:<queue>`) that
its holder refreshes every second (its interval) with a time to live of interval + 60 s. A
holder that dies without releasing it (SIGKILLed with its worker, its machine or container
gone) kept every other worker from scheduling for a minute. Ours keep the lock's time to live at
SCHEDULER_LEASE_S after every refresh; the workers' supervision (`job_worker.JobWorker`) takes
a lock over once it has expired.

Two schedulers never work on one queue at once as long as the holder refreshes its lease within
SCHEDULER_LEASE_S: it refreshes every second and checks it still holds the lock before each
pass (RQ drops a queue whose lock another took). Only a holder stalled for more than
SCHEDULER_LEASE_S - 1 s between that check and the end of its pass could move a due job its
successor moves too; every Voicecast job is idempotent, so that would cost a duplicate run,
never a wrong state.
"""

from __future__ import annotations

from redis import Redis
from rq.scheduler import RQScheduler

# The scheduler lock's time to live after each refresh (every second): how long a dead holder
# keeps others from scheduling. Longer tolerates longer stalls of a live holder.
SCHEDULER_LEASE_S = 5

# Sets the time to live of each lock (KEYS) still held by ARGV[1] to ARGV[2] seconds; one round
# trip for every queue.
SHORTEN_LEASES = """
for _, key in ipairs(KEYS) do
    if redis.call('GET', key) == ARGV[1] then
        redis.call('EXPIRE', key, ARGV[2])
    end
end
return 0
"""


def lock_keys(queue_names: set[str]) -> list[str]:
    return [RQScheduler.get_locking_key(name) for name in sorted(queue_names)]


def all_locked_by_others(connection: Redis, queue_names: set[str], name: str) -> bool:
    """Whether every queue's scheduler lock is held, none of them by the scheduler `name`: then
    there is nothing for it to take over. One MGET."""
    holders = connection.mget(lock_keys(queue_names))
    return all(holder is not None and holder.decode() != name for holder in holders)


class LeasedScheduler(RQScheduler):
    """RQ's scheduler with its locks held on a lease of SCHEDULER_LEASE_S, and a scheduler
    holding only some of its queues' locks trying for the others as soon as they are free
    (RQ's waits 120 s)."""

    def acquire_locks(self, auto_start: bool = False) -> set[str]:
        acquired = super().acquire_locks(auto_start=False)
        self.shorten_leases()  # before the scheduler process starts, so that its lease is short
        if acquired and auto_start and (self._process is None or not self._process.is_alive()):
            self.start()
        return acquired

    def heartbeat(self) -> None:
        super().heartbeat()
        self.shorten_leases()

    @property
    def should_reacquire_locks(self) -> bool:
        if self._queue_names == self.acquired_locks:
            return False
        return any(holder is None for holder in self.connection.mget(lock_keys(self._queue_names)))

    def shorten_leases(self) -> None:
        if self._acquired_locks:
            keys = lock_keys(self._acquired_locks)
            shorten = self.connection.register_script(SHORTEN_LEASES)  # EVALSHA once loaded
            shorten(keys=keys, args=[self.name, SCHEDULER_LEASE_S])

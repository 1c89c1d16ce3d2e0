"""The task runner of the batch flows: one thread per configured worker."""

from __future__ import annotations

from prefect.task_runners import ThreadPoolTaskRunner

from config.settings import get_settings


class WorkerThreads(ThreadPoolTaskRunner):
    """A thread pool as large as `settings.workers`, read when a flow run starts (importing a
    flow reads no settings)."""

    def __enter__(self):
        self._max_workers = get_settings().workers
        return super().__enter__()

    def duplicate(self) -> WorkerThreads:
        return type(self)()

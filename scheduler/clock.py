"""The sweeps `carnet serve` runs on a timer, each one call into the core."""

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from crm import webforms

log = logging.getLogger(__name__)

# How often each sweep looks for work. A stranded web form lead waits at most
# webforms.STRANDED_AFTER plus this.
SWEEP_SECONDS = 30


async def resume_web_forms() -> int:
    """Process web form submissions a stopped process left unprocessed."""
    count = await webforms.resume_stranded()
    if count:
        log.info("web forms: processed %s stranded submission(s)", count)
    return count


class Clock:
    """Starts the sweeps inside the running loop (APScheduler's AsyncIOScheduler needs one) and
    stops them; a sweep cut short by the stop rolls back and runs again at the next start."""

    def __init__(self, timezone: str) -> None:
        self._scheduler = AsyncIOScheduler(timezone=timezone)

    def start(self) -> None:
        self._scheduler.add_job(
            resume_web_forms,
            "interval",
            seconds=SWEEP_SECONDS,
            id="web-forms",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=SWEEP_SECONDS,
            next_run_time=datetime.now(UTC),  # once at start: after a crash, right away
        )
        self._scheduler.start()
        log.info("scheduler: started (sweeps every %s s)", SWEEP_SECONDS)

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    @property
    def jobs(self) -> list[str]:
        return [job.id for job in self._scheduler.get_jobs()]

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

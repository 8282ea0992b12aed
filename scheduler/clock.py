"""The sweeps `carnet serve` runs on a timer, each one call into the core."""

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from crm.webforms import submissions

log = logging.getLogger(__name__)

# How often each sweep looks for work. A stranded web form lead waits at most
# submissions.STRANDED_AFTER plus this.
SWEEP_SECONDS = 30


class Failures:
    """How a sweep that keeps failing is logged: the first failure in full (a new bug shows its
    traceback once), the next ones in one line each, and the recovery, so an hour with the
    database down costs 120 short lines, not 120 tracebacks."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.count = 0

    def failed(self, exc: Exception) -> None:
        self.count += 1
        if self.count == 1:
            log.exception("%s failed; trying again in %s s", self.what, SWEEP_SECONDS)
        else:
            reason = str(exc).splitlines()[0] if str(exc) else ""
            log.warning(
                "%s failed again (%s times in a row): %s: %s",
                self.what,
                self.count,
                type(exc).__name__,
                reason,
            )

    def succeeded(self) -> None:
        if self.count:
            log.info("%s works again after %s failed attempt(s)", self.what, self.count)
        self.count = 0


async def resume_web_forms(failures: Failures | None = None) -> int:
    """Process web form submissions a stopped process left unprocessed; a failure is logged
    (see `Failures`) and the sweep runs again at its next tick."""
    try:
        count = await submissions.resume_stranded()
    except Exception as exc:
        (failures or Failures("web form sweep")).failed(exc)
        return 0
    if failures is not None:
        failures.succeeded()
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
            args=[Failures("web form sweep")],
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

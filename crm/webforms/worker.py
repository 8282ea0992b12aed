"""The web form worker: stored submissions become leads in the serving process, right after
the request that stored them was answered.

`crm.webforms.submissions.submit` stores a post and calls `wake`; the `Worker` the composition
root started (`carnet serve`; none in the CLI or tests that do not ask for one) then processes
what is received, oldest first, a batch of rows read at a time, one lead per transaction
(`process_one`: `crm.webforms.leads.process`). It drains the backlog when it starts, so a
restarted process finishes what it left behind; the scheduler's sweep (`resume_stranded`)
stays as the net for submissions no worker got to.

Claiming, so that every lead is created and alerted once whatever runs it (this worker, another
process's, the sweep, an admin's release): the lead's transaction starts by claiming its row
(`leads._claim`). On PostgreSQL that is `SELECT ... FOR UPDATE SKIP LOCKED`: a row another
transaction is processing is skipped at once, so several processes drain one queue side by side
instead of queuing behind each other's row locks; the lock ends with the lead's commit, which
also settles the status. On SQLite (one writer at a time) it is a conditional update. A lead cut
short (an error, or the worker cancelled at shutdown) rolls back whole: its row is received
again, with nothing half-written, and is processed at the next drain.

A failure is sorted: the database unavailable (or a transient conflict) leaves the submission
received for a later try; anything else is a bug with this lead, kept as failed with the reason.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import datetime

from tortoise.exceptions import DBConnectionError, OperationalError

from crm import memo
from crm.db import is_unavailable
from crm.errors import ConflictError
from crm.webforms import leads
from crm.webforms.leads import SubmissionResult
from models import FormSubmission
from models.enums import SubmissionStatus

log = logging.getLogger(__name__)

# Rows read per query when submissions pile up (each is still its own transaction).
BATCH_SIZE = 50
# After the database failed, the worker tries again after this long, doubling up to the max.
RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
# At shutdown, the lead in hand may finish for this long before it is cut short (rolled back).
STOP_GRACE_SECONDS = 5.0
# Posts first: a lead waits while posts are being stored in this process, at most this long
# (a visitor waits for an answer; a lead waits for nobody), so that a flood of posts is
# answered at the speed of its INSERTs and the leads follow when it eases.
POSTS_FIRST_MAX_SECONDS = 1.0
POSTS_FIRST_POLL_SECONDS = 0.002
# Errors that say "not now" rather than "this lead is broken": the submission stays received.
TRANSIENT = (OperationalError, DBConnectionError, OSError, ConflictError)


async def received_batch(
    after_id: int = 0, limit: int = BATCH_SIZE, received_before: datetime | None = None
) -> list[FormSubmission]:
    """Up to `limit` received submissions after `after_id`, oldest first, with their forms."""
    query = FormSubmission.filter(status=SubmissionStatus.RECEIVED, id__gt=after_id)
    if received_before is not None:
        query = query.filter(received_at__lt=received_before)
    return await query.select_related("form").order_by("id").limit(limit)


async def process_one(submission: FormSubmission) -> SubmissionResult | None:
    """The lead of one stored submission (`leads.process`); None when another transaction has
    it or settled it first. Raises what went wrong: a transient error leaves the submission
    received; any other leaves it failed, with the reason."""
    try:
        return await leads.process(submission.form, submission, submission.payload)
    except Exception as exc:
        if not isinstance(exc, TRANSIENT) and not is_unavailable(exc):
            await mark_failed(submission.id, exc)
        raise


async def process_received(
    limit: int = BATCH_SIZE, *, received_before: datetime | None = None
) -> int:
    """Process up to `limit` received submissions (those received before `received_before`,
    when given), oldest first; returns how many became leads or rejections here. Stops at a
    transient error (the database), leaving the rest received; goes on past a broken lead."""
    processed = 0
    for submission in await received_batch(0, limit, received_before):
        try:
            result = await process_one(submission)
        except TRANSIENT:
            log.exception("web form submission #%s: left for a later try", submission.id)
            break
        except Exception as exc:
            if is_unavailable(exc):
                log.warning("web form submission #%s: the database is unavailable", submission.id)
                break
            continue  # kept as failed, logged by mark_failed
        processed += result is not None
    return processed


async def mark_failed(submission_id: int, exc: BaseException) -> None:
    """Keep the failure on the submission's row; its key is freed so that a retry can work."""
    reason = f"{type(exc).__name__}: {exc}"[:2000]
    log.error("web form submission #%s failed", submission_id, exc_info=exc)
    try:
        # Only a submission still waiting: one settled meanwhile elsewhere keeps its outcome.
        await FormSubmission.filter(id=submission_id, status=SubmissionStatus.RECEIVED).update(
            status=SubmissionStatus.FAILED, reason=reason, idempotency_key=None
        )
    except Exception:  # the database itself is failing: the log is all we have
        log.exception("could not mark web form submission #%s as failed", submission_id)


class Worker:
    """Processes this process's received submissions: woken by each one stored, it drains the
    queue a batch at a time, then waits for the next."""

    def __init__(self, batch_size: int = BATCH_SIZE) -> None:
        self.batch_size = batch_size
        self._wanted = asyncio.Event()
        self._idle = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._posts = 0  # posts being stored in this process now

    def start(self) -> None:
        """Start in the running loop, draining what is already received; `wake` reaches it."""
        global _running
        self._stopping = False
        self.wake()
        self._task = asyncio.create_task(self._run(), name="carnet-webform-worker")
        _running = self

    def wake(self) -> None:
        """Something was stored: drain the queue (again) as soon as possible."""
        self._idle.clear()
        self._wanted.set()

    async def idle(self) -> None:
        """Return once everything stored before the call is processed (or left for later)."""
        await self._idle.wait()

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop taking leads; the one in hand may finish within `grace` seconds, else it is
        cancelled, and its transaction rolls back (it stays received for the next start)."""
        global _running
        if _running is self:
            _running = None
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wanted.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._idle.set()

    async def _run(self) -> None:
        delay = RETRY_SECONDS
        while not self._stopping:
            await self._wanted.wait()
            self._wanted.clear()
            try:
                left = await self._drain()
            except Exception as exc:
                # The database is unavailable: everything stays received.
                log.warning("web form worker: %s: %s", type(exc).__name__, exc)
                left = True
            if left and not self._stopping:
                # Try again after a pause (sooner if something new is stored), longer each time.
                log.info("web form worker: trying again in %g s", delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wanted.wait(), delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)
                self._wanted.set()
                continue
            delay = RETRY_SECONDS
            if not self._wanted.is_set():
                self._idle.set()

    async def _drain(self) -> bool:
        """Each received submission once, oldest first, until none is left or we stop.
        Returns whether one was left received for a later try."""
        after = 0
        left = False
        while not self._stopping:
            batch = await received_batch(after, self.batch_size)
            # The batch's leads read the settings they share once (`crm.memo`).
            with memo.batch():
                for submission in batch:
                    if self._stopping:
                        return left
                    after = submission.id
                    left = not await self._process(submission) or left
            if len(batch) < self.batch_size:
                return left
        return left

    @contextlib.contextmanager
    def posting(self) -> Iterator[None]:
        """Around the storing of a post: the leads wait until it is stored (`_posts_first`)."""
        self._posts += 1
        try:
            yield
        finally:
            self._posts -= 1

    async def _posts_first(self) -> None:
        """Wait while posts are being stored (at most POSTS_FIRST_MAX_SECONDS): a lead holds
        the database (SQLite's one connection) and the CPU for milliseconds, and a visitor's
        answer should not wait behind it."""
        waited = 0.0
        while self._posts and waited < POSTS_FIRST_MAX_SECONDS:
            await asyncio.sleep(POSTS_FIRST_POLL_SECONDS)
            waited += POSTS_FIRST_POLL_SECONDS

    async def _process(self, submission: FormSubmission) -> bool:
        """One lead; False when it was left received for a later try (a transient error). A
        broken lead is kept as failed and logged; an unavailable database stops the drain
        (raised)."""
        await self._posts_first()
        try:
            await process_one(submission)
        except Exception as exc:
            if is_unavailable(exc) or isinstance(exc, DBConnectionError | OSError):
                raise
            if isinstance(exc, TRANSIENT):
                log.warning(
                    "web form submission #%s: left for a later try (%s: %s)",
                    submission.id,
                    type(exc).__name__,
                    exc,
                )
                return False
        return True


# The worker the composition root started in this process (none at import, nor in the CLI).
_running: Worker | None = None


def running() -> Worker | None:
    """This process's worker, if one was started."""
    return _running


def posting() -> contextlib.AbstractContextManager[None]:
    """Around the storing of a post: this process's worker lets it go first."""
    return _running.posting() if _running is not None else contextlib.nullcontext()


def wake() -> None:
    """Tell this process's worker that a submission was stored (nothing when none runs: the
    sweep, or a worker elsewhere, processes it)."""
    if _running is not None:
        _running.wake()

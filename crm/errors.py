"""Typed errors raised by the core; adapters translate them for their users."""

from collections.abc import Mapping, Sequence
from typing import Any


class CrmError(Exception):
    """Base of every error the core raises on purpose; `code` is stable for translations."""

    code = "error"

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class ValidationError(CrmError):
    """Bad input: `errors` maps each field to what is wrong with it."""

    code = "validation"

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        summary = "; ".join(f"{field}: {msg}" for field, msg in self.errors.items())
        super().__init__(summary)


class NotFoundError(CrmError):
    code = "not_found"


class PermissionDeniedError(CrmError):
    code = "permission_denied"


class ConflictError(CrmError):
    """The data changed under the caller (stale version, already merged, invite used...)."""

    code = "conflict"


class IdempotencyKeyReusedError(CrmError):
    """An idempotency key sent again with another body: a client bug (as Stripe answers it),
    never a replay of the first post nor a silent second one."""

    code = "idempotency_key_reused"


class StaleEditError(ConflictError):
    """Someone saved the record after the caller read it; nothing was written."""

    code = "stale_edit"

    def __init__(self, entity: str, entity_id: int, expected: int, current: int | None) -> None:
        super().__init__(
            f"{entity} #{entity_id} was changed by someone else "
            f"(you edited version {expected}, it is now at version {current}); reload it and retry",
            entity=entity,
            entity_id=entity_id,
            expected=expected,
            current=current,
        )
        self.current_version = current


class DuplicateContactError(CrmError):
    """Raised when a create would make a duplicate and the caller did not say 'create anyway'."""

    code = "duplicate"

    def __init__(self, matches: Sequence[Any]) -> None:
        self.matches = list(matches)
        names = ", ".join(f"#{m.contact_id} {m.display_name} ({m.reason})" for m in self.matches)
        super().__init__(f"possible duplicate of {names}")


class UnavailableError(CrmError):
    """The database cannot be reached or used at the moment (refused, down, locked, timed
    out): nothing the caller sent is wrong, and the same call may work in a minute.
    `crm.db.unavailable_as_error` raises it; `message` is the one-line reason."""

    code = "unavailable"

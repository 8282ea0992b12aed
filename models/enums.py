"""Enumerations stored in the database; their values are part of the schema."""

from enum import IntEnum, StrEnum


class Level(IntEnum):
    """How far a role's right to one action reaches (F9); a higher level includes the lower ones."""

    NONE = 0
    OWN = 1
    DEPARTMENT = 2
    DEPARTMENT_TREE = 3
    OPEN = 4
    ALL = 5


class Action(StrEnum):
    """The six actions a role grants a level for."""

    READ = "read"
    ADD = "add"
    EDIT = "edit"
    DELETE = "delete"
    EXPORT = "export"
    IMPORT = "import"


class ChannelKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"
    MESSENGER = "messenger"


class FieldType(StrEnum):
    """The twelve custom field types of F3."""

    STRING = "string"
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    LIST = "list"
    URL = "url"
    EMAIL = "email"
    PHONE = "phone"
    STAFF = "staff"


class ActivityKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    TASK = "task"


class ActivityStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    """Life of an outbox message or a reminder: claimed with a conditional update before sending."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class FormScheme(StrEnum):
    CONTACT = "contact"
    DEAL = "deal"
    QUOTE = "quote"


class DedupPolicy(StrEnum):
    ALLOW = "allow"
    SKIP = "skip"
    MERGE = "merge"
    REPLACE = "replace"


class SubmissionStatus(StrEnum):
    RECEIVED = "received"
    CREATED = "created"
    MERGED = "merged"
    SPAM = "spam"
    REJECTED = "rejected"
    FAILED = "failed"
    # Stored but not processed: over a rate limit (answered 429), kept for an admin to
    # release into a lead or delete.
    HELD = "held"


class CallerKind(StrEnum):
    """Who posted a web form submission, as the adapter could tell."""

    API = "api"  # a server with the form's API key
    PAGE = "page"  # the hosted page or embed.js (a signed page token)
    ORIGIN = "origin"  # a plain HTML form on one of the form's allowed origins
    ANONYMOUS = "anonymous"  # none of these (stored as spam or answered 401)


class ImportStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    UNDONE = "undone"


class HistoryKind(StrEnum):
    """What an audit entry records (F12)."""

    CREATED = "created"
    CHANGED = "changed"
    LINKED = "linked"
    UNLINKED = "unlinked"
    ASSIGNED = "assigned"
    MERGED = "merged"
    UNMERGED = "unmerged"
    DELETED = "deleted"
    RESTORED = "restored"
    PURGED = "purged"
    EXPORTED = "exported"
    ACTIVITY_PLANNED = "activity_planned"
    ACTIVITY_DONE = "activity_done"

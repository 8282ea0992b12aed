"""Tortoise ORM models and migrations; no business rules beyond field constraints."""

from models.contacts import (
    CardPlacement,
    CardSection,
    Channel,
    Company,
    Contact,
    ContactCompany,
    ContactObserver,
    ContactType,
    CustomField,
    CustomFieldValue,
    Source,
)
from models.staff import Department, Invite, Role, Staff, StaffDepartment, StaffRole
from models.system import (
    FormSubmission,
    HistoryEntry,
    ImportJob,
    MergeRecord,
    OutboxMessage,
    SavedFilter,
    Secret,
    WebForm,
)
from models.work import Activity, ContactDeal, ContactQuote, Deal, Quote, Reminder

MODEL_MODULES = ["models.staff", "models.contacts", "models.work", "models.system"]


def tortoise_config(db_url: str) -> dict:
    """The Tortoise config for one database URL; migrations live in `models.migrations`."""
    return {
        "connections": {"default": db_url},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


__all__ = [
    "MIGRATIONS_CONFIG",
    "MODEL_MODULES",
    "Activity",
    "CardPlacement",
    "CardSection",
    "Channel",
    "Company",
    "Contact",
    "ContactCompany",
    "ContactDeal",
    "ContactObserver",
    "ContactQuote",
    "ContactType",
    "CustomField",
    "CustomFieldValue",
    "Deal",
    "Department",
    "FormSubmission",
    "HistoryEntry",
    "ImportJob",
    "Invite",
    "MergeRecord",
    "OutboxMessage",
    "Quote",
    "Reminder",
    "Role",
    "SavedFilter",
    "Secret",
    "Source",
    "Staff",
    "StaffDepartment",
    "StaffRole",
    "WebForm",
    "tortoise_config",
]


# What `make migration NAME=...` (Tortoise's makemigrations) reads: the models and their
# migrations, compared without any real database.
MIGRATIONS_CONFIG = tortoise_config("sqlite://:memory:")

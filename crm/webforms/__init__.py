"""Web forms (F8), one module per part of a lead's way in:

- `definitions`: the forms administrators make (fields, scheme, duplicate policy, responsible
  queue, texts, API key) and what visitors are shown of them;
- `submissions`: a visitor's post stored raw first (`submit`), idempotency keys, failures kept,
  stranded posts swept (`resume_stranded`);
- `leads`: a stored submission validated and turned into a contact: duplicate policy,
  responsible, the scheme's deal or quote, history;
- `alerts`: the new-lead alert, its text and its reader, queued in the outbox.

Pure rules live in `crm.rules.webforms`. The definitions API is re-exported here for the
callers that still say `webforms.create_form`; new code imports from the module that owns a name.
"""

from crm.webforms.definitions import (
    DEFAULT_FIELDS,
    DEFAULT_SLUG,
    DEFAULT_TEXTS,
    FormDetails,
    PublicForm,
    active_forms,
    add_form_field,
    create_form,
    disable_form,
    edit_form,
    ensure_default_form,
    form_by_id,
    form_details,
    get_form,
    get_public_form,
    list_forms,
    move_form_field,
    next_answer_number,
    remove_form_field,
    rotate_api_key,
    set_queue_member,
    update_form_field,
    verify_api_key,
)

__all__ = [
    "DEFAULT_FIELDS",
    "DEFAULT_SLUG",
    "DEFAULT_TEXTS",
    "FormDetails",
    "PublicForm",
    "active_forms",
    "add_form_field",
    "create_form",
    "disable_form",
    "edit_form",
    "ensure_default_form",
    "form_by_id",
    "form_details",
    "get_form",
    "get_public_form",
    "list_forms",
    "move_form_field",
    "next_answer_number",
    "remove_form_field",
    "rotate_api_key",
    "set_queue_member",
    "update_form_field",
    "verify_api_key",
]

"""Web forms (F8), one module per part of a lead's way in:

- `definitions`: the forms administrators make (fields, scheme, duplicate policy, responsible
  queue, texts, API key) and what visitors are shown of them;
- `submissions`: a visitor's post checked, stored raw and answered at once (`submit`: a
  receipt, never the contact), idempotency keys, the outcome for integrators (`outcome`),
  stranded posts swept (`resume_stranded`);
- `worker`: the in-process worker that makes the leads of stored posts, each claimed once;
- `leads`: a stored submission validated and turned into a contact: duplicate policy,
  responsible, the scheme's deal or quote, history;
- `alerts`: the new-lead alert, its text and its reader, queued in the outbox;
- `proposals`: what an anonymous post would change on a known contact, applied or ignored by
  its staff (Apply / Ignore on the alert);
- `held`: posts kept as spam or over a rate limit, listed, released into a lead or deleted.

Pure rules live in `crm.rules.webforms`. Callers import from the module that owns a name
(`from crm.webforms import definitions`): one path per name.
"""

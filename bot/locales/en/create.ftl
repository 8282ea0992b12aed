# Adding contacts: the /new dialog, one-line /new, shared contacts, forwards, .vcf files. HTML allowed; arguments are escaped.

## The step-by-step dialog
new-dialog-intro = <b>New contact</b>. Answer each question, or tap Skip. Send /cancel at any time to stop.
new-question = <b>New contact</b> · { $step }/{ $total }
    <b>{ $field }</b>?
new-hint-honorific = <i>For example M., Mme, Dr, Mr, Mrs.</i>
new-hint-phones = <i>In any format (06 12 34 56 78, +33 6 12 34 56 78); several on separate lines.</i>
new-hint-emails = <i>Several on separate lines or separated by commas.</i>
new-hint-websites = <i>For example https://example.com; several on separate lines.</i>
new-hint-messengers = <i>A Telegram username such as @jean_dupont; several on separate lines.</i>
new-hint-company = <i>The company's name: an existing company you can see is linked, otherwise a new one is created.</i>
new-hint-date = <i>A date such as 1990-04-25 or 25/04/1990.</i>
new-hint-datetime = <i>A date and time with its time zone, such as 2026-05-01T10:00+02:00.</i>
new-hint-multiline = <i>Several lines are fine.</i>
new-hint-choice = <i>Tap one, or type it.</i>
new-hint-type = <i>Expected: { $type }.</i>
new-answer-text = Send the answer as a message, tap a button, or send /cancel to stop.
new-use-buttons = Tap Save or Cancel under the summary, or send /cancel.
new-summary-title = <b>New contact</b>: check it and save it.
new-summary-empty = <i>Nothing filled in yet.</i>
new-saved = Contact saved.
new-cancelled = The new contact was not saved.
new-outdated = This button is outdated.

## Buttons
new-btn-skip = Skip ▶
new-btn-cancel = ✖ Cancel
new-btn-save = ✅ Save
new-btn-open = Open { $name }
new-btn-merge = Merge into { $name }
new-btn-create = Create anyway
new-btn-drop = Don't add it
new-btn-drop-all = Don't add any of the { $count }

## Duplicates
new-duplicate = <b>{ $draft }</b> looks like a contact you already have:
new-duplicate-question = Open it, merge the new details into it (only empty fields are filled), or create a new contact anyway?
new-duplicate-left = <i>{ $count } contacts from the file are waiting for your decision.</i>
new-merged = Merged into <b>{ $name }</b> <code>#{ $id }</code>. Added: { $fields }.
new-merged-nothing = <b>{ $name }</b> <code>#{ $id }</code> already had all of this; nothing was changed.
new-created-anyway = Created as a new contact.
new-created-short = Created <b>{ $name }</b> <code>#{ $id }</code>.
new-dropped = Not added.
new-dropped-all = Not added: { $count } contacts.

## One line, forwarded messages, .vcf files
new-oneline-hint = For example: <code>/new Jean Dupont +33 6 12 34 56 78 jean@example.fr Acme</code>, or send /new alone to answer question by question.
new-forward-unsupported = This message comes from a channel or a group, not from a person, so there is nobody to add. Forward a message a person wrote.
new-vcard-too-big = This file is larger than 1 MB. Split it into smaller files.
new-vcard-broken = This .vcf file could not be read: { $reason }
new-vcard-summary = <b>{ $file }</b>: { $created } created, { $duplicates } look like existing contacts, { $invalid } could not be added.
new-vcard-created-line = • <b>{ $name }</b> <code>#{ $id }</code>
new-vcard-invalid-line = • card { $number }: { $reason }
new-vcard-more = …and { $count } more.

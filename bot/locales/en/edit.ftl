# Editing a contact and linking it to companies and deals (the card's ✏️ and 🔗 buttons).
# HTML is allowed; arguments are escaped.

## Edit menu
edit-menu =
    ✏️ <b>{ $name }</b> <code>#{ $id }</code>
    Choose the field to change.
edit-menu-hidden = <i>◌ marks a field that is hidden on the card.</i>
edit-btn-hidden = ◌ { $label }
edit-btn-value = { $label }: { $value }
edit-btn-done = ✅ Done
edit-btn-clear = 🧹 Clear
edit-btn-cancel = ✖ Cancel
edit-btn-add = ➕ Add
edit-btn-primary = ★ Make primary
edit-btn-remove = 🗑 Remove
edit-btn-open-current = Open the current card
edit-saved = ✅ Saved.
edit-unchanged = Nothing changed.
edit-outdated = This button is outdated. Open the card again.
edit-stale = Someone else changed this contact after you opened it. Nothing was overwritten: open the current card and redo your change.
edit-stale-short = Changed by someone else meanwhile.

## Typed values and choices
edit-ask = Send the new <b>{ $field }</b>, or clear it.
edit-ask-again = Send the <b>{ $field }</b> again.
edit-current = Now: <code>{ $value }</code>
edit-hint-date = For example 1990-04-25 or 25/04/1990.
edit-hint-datetime = For example 2026-05-01T10:00+02:00.
edit-hint-multiple = One value per line.
edit-choose = <b>{ $field }</b>: choose a value.
edit-choose-many = <b>{ $field }</b>: tap a value to add or remove it (✓ = chosen).

## Phones, e-mails, websites, messengers
edit-channels = <b>{ $field }</b> (★ the primary one). Tap a value to change its type, make it primary or remove it.
edit-channels-empty = None yet.
edit-channel =
    <b>{ $field }</b>: { $value } ({ $vtype })
    Choose its type, make it primary or remove it.
edit-channel-ask = Send the value to add to <b>{ $field }</b>.
edit-channel-type = What kind is «{ $value }»?

## Links to companies and deals
link-menu = 🔗 <b>{ $name }</b> <code>#{ $id }</code>
link-companies = <b>Companies</b> (★ the primary one)
link-deals = <b>Deals</b>
link-ask = Send a company or deal title to find it, or the title of a new company to create it.
link-found = Results for «{ $query }»: tap one to link it.
link-nothing = No company or deal matches «{ $query }».
link-expired = This search is outdated. Send the title again.
link-btn-company = 🏢 { $title }
link-btn-as-primary = ★ As primary
link-btn-deal = 💼 { $title }
link-btn-create = ➕ Create company «{ $title }»
link-btn-unlink = ✖ Unlink { $title }
link-btn-make-primary = ★ Make primary
link-btn-done = ✅ Done
link-linked = ✅ Linked.
link-unlinked = ✅ Unlinked.
link-primary-set = ✅ Primary company changed.
link-created = ✅ Company «{ $title }» created and linked.

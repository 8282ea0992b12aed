# The staff bot: access, start, help, language, search, card. HTML is allowed; arguments are escaped.

## Access
access-refused = This bot is the private CRM of a team. Ask one of its administrators for an invite link.
access-refused-short = Only staff members of this CRM can use this bot.
button-outdated = This button is outdated; open the list or the card again.
error-short = That could not be done.

## Start, invites, help
invite-invalid = This invite link is not valid. Ask an administrator for a new one.
invite-welcome = Welcome, <b>{ $name }</b>! You can now find and add contacts. Send /help to see what you can do.
start-hello = Hello, <b>{ $name }</b>!
help-title = <b>What you can do</b>
help-find = /find <i>text</i> — find contacts by name, phone (any format, 4 digits or more), e-mail or company. Any plain text searches too.
help-inline = <code>@{ $bot } text</code> in any chat — insert a contact card.
help-new = /new — add a contact step by step, or in one line: <code>/new Jean Dupont +33 6 12 34 56 78 jean@example.fr Acme</code>
help-share = Share a Telegram contact, forward a message or send a .vcf file to add contacts.
help-settings = /settings — contact types, custom fields, card layout, staff, roles, invites.
help-language = /language — change the bot's language.
help-cancel = /cancel — leave the current dialog.
cancelled = Cancelled.
nothing-to-cancel = There is nothing to cancel.
language-en = English
language-fr = Français
language-choose = Choose your language:
language-set = The bot now speaks English.

timezone-change = 🕒 Time zone: { $zone }
timezone-prompt = Choose your time zone, or type one such as <code>Asia/Tokyo</code>.
timezone-set = Time zone set to <b>{ $zone }</b>: it is now { $now }.

## Command menu
menu-find = Find contacts
menu-new = Add a contact
menu-settings = Settings
menu-language = Language
menu-help = What I can do
menu-cancel = Cancel the current dialog

## Search and filters
search-prompt = Send me a name, a phone number (any format), an e-mail or a company.
search-nothing = Nothing found.
search-results-for = <b>Contacts matching «{ $query }»</b>
search-results-my = <b>My contacts</b>
search-results-all = <b>All contacts</b>
search-outdated = This list is outdated; search again.
filter-menu = <b>Filters</b>
filter-my = My contacts
filter-all = All contacts
filter-type = Type: { $name }
filter-by-responsible = By responsible…
filter-choose-responsible = Whose contacts?
filter-saved = ★ { $name }
filter-save = Save this filter
filter-save-prompt = Send a name for this filter.
filter-saved-done = Filter «{ $name }» saved. Find it under Filters.
filter-bin = Recycle bin
bin-title = <b>Recycle bin</b>
bin-line = • { $name } <code>#{ $id }</code>, deleted { $when }
bin-empty = The recycle bin is empty.

## Buttons
btn-prev = ◀ Previous
btn-next = Next ▶
btn-filters = Filters
btn-edit = ✏️ Edit
btn-link = 🔗 Link company/deal
btn-deps = Dependencies
btn-history = History
btn-dups = Duplicates
btn-delete = 🗑 Delete
btn-restore = ♻️ Restore
btn-restore-named = ♻️ { $name }
btn-back = ◀ Back
btn-newer = ◀ Newer
btn-older = Older ▶
btn-open-named = Open { $name }
btn-merge-named = Merge { $name } here
btn-merge-confirm = Yes, merge
btn-unmerge = Undo the merge
btn-delete-confirm = Yes, delete
btn-keep = No, keep it

## Card
card-in-bin = <i>In the recycle bin since { $when }.</i>
card-footer = <i>Created { $created } · updated { $updated }</i>
history-empty = No history yet.
history-title = <b>History</b> (page { $page }, newest first)
history-line = <b>{ $when }</b> · { $who } · { $kind }
history-hidden-company = <i>a company you cannot see</i>
history-hidden-deal = <i>a deal you cannot see</i>
history-hidden-quote = <i>a quote you cannot see</i>
deps-title = <b>Dependencies</b>
deps-companies = Companies
deps-deals = Deals
deps-quotes = Quotes
deps-activities = Activities
dups-title = <b>Possible duplicates</b>
dups-none = No duplicates found.
dup-reason-phone = • <b>{ $name }</b> <code>#{ $id }</code> has the same phone { $value }
dup-reason-email = • <b>{ $name }</b> <code>#{ $id }</code> has the same e-mail { $value }
dup-reason-name = • <b>{ $name }</b> <code>#{ $id }</code> has the same name
dup-hidden = • a contact you may not open has the same { $reason }
dup-kind-phone = phone
dup-kind-email = e-mail
dup-reason-telegram = • <b>{ $name }</b> <code>#{ $id }</code> has the same Telegram username { $value }
dup-kind-telegram = Telegram username
dup-kind-name = name
merge-confirm = Merge <b>{ $other }</b> <code>#{ $other_id }</code> into <b>{ $keep }</b> <code>#{ $keep_id }</code>? Its phones, e-mails, links and history move here; empty fields are filled. You can undo it.
merge-done = Merged.
merge-done-text = Merged into <code>#{ $id }</code>.
unmerge-done = Merge undone: { $ids } are back.
delete-confirm = Move <b>{ $name }</b> to the recycle bin?
delete-done = Contact <code>#{ $id }</code> moved to the recycle bin.
delete-done-short = Deleted.
restore-done = Restored.

# Shared by every adapter: words, contact fields, channel types, rights, history, errors.
yes = yes
no = no
none = —

## Contact fields (card, dialog, exports, forms)
field-honorific = Honorific
field-first_name = First name
field-middle_name = Middle name
field-last_name = Last name
field-birthdate = Birthdate
field-position = Position
field-comment = Comment
field-type_id = Type
field-source_id = Source
field-source_description = Source details
field-responsible_id = Responsible
field-observers = Observers
field-opened = Available to everyone
field-include_in_export = Include in export
field-utm_source = UTM source
field-utm_medium = UTM medium
field-utm_campaign = UTM campaign
field-utm_content = UTM content
field-utm_term = UTM term
field-phones = Phones
field-emails = E-mails
field-websites = Websites
field-messengers = Messengers
field-companies = Companies
field-custom = Custom fields
field-name = Name
field-created_at = Created
field-label = Label
field-title = Title
field-options = Options
field-move_to = Move to
field-staff_id = Staff member
field-code = Code
field-role_id = Role
field-department_id = Department
field-file = File
field-ttl = Validity
field-language = Language
field-timezone = Time zone
field-others = Other contacts
field-version = Version
field-updated_at = Updated

## Channel value types
vtype-WORK = work
vtype-MOBILE = mobile
vtype-HOME = home
vtype-FAX = fax
vtype-OTHER = other
vtype-TELEGRAM = Telegram
vtype-WHATSAPP = WhatsApp

## Custom field types
ftype-string = text (one line)
ftype-text = text (several lines)
ftype-integer = whole number
ftype-decimal = number
ftype-boolean = yes / no
ftype-date = date
ftype-datetime = date and time
ftype-list = list
ftype-url = link
ftype-email = e-mail
ftype-phone = phone
ftype-staff = staff member

## Rights
action-read = Read
action-add = Add
action-edit = Edit
action-delete = Delete
action-export = Export
action-import = Import
level-0 = none
level-1 = own
level-2 = department
level-3 = department and sub-departments
level-4 = all open
level-5 = all

## History
history-created = created
history-changed = changed
history-linked = linked
history-unlinked = unlinked
history-assigned = assigned
history-merged = merged
history-unmerged = merge undone
history-deleted = deleted
history-restored = restored
history-purged = purged
history-exported = exported
history-activity_planned = activity planned
history-activity_done = activity done

## Errors
error-validation = Please check: { $details }
error-not_found = Not found: { $details }
error-permission_denied = You don't have the right to do that: { $details }
error-conflict = That could not be done: { $details }
error-stale_edit = Someone else changed this record after you opened it. Nothing was overwritten; open it again and redo your change.
error-duplicate = This looks like a contact that already exists: { $details }
error-error = That could not be done: { $details }
error-unexpected = Something went wrong on our side. It has been logged; please try again.

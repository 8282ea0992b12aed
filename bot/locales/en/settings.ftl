# /settings: contact types, custom fields, card layout, staff, departments, roles, invites.
# HTML is allowed; arguments are escaped.

## Menu
settings-title = <b>Settings</b>
    Choose what to set up.
settings-menu-types = Contact types ({ $count })
settings-menu-fields = Custom fields ({ $count })
settings-menu-layout = Card layout
settings-menu-staff = Staff ({ $count })
settings-menu-departments = Departments ({ $count })
settings-menu-roles = Roles and rights ({ $count })
settings-menu-invite = Invite link
settings-page = (page { $page } of { $pages })
settings-outdated = This button belongs to a question that is closed. Open /settings again.
settings-use-buttons = Please answer with the buttons above, or send /cancel.

## Buttons
settings-btn-rename = ✏️ Rename
settings-btn-up = ▲ Up
settings-btn-down = ▼ Down
settings-btn-delete = 🗑 Delete
settings-btn-delete-confirm = Yes, delete
settings-btn-yes = Yes
settings-btn-no = No
settings-btn-add-type = ➕ Add a type
settings-btn-add-field = ➕ Add a field
settings-btn-add-section = ➕ Add a section
settings-btn-add-role = ➕ Add a role
settings-btn-add-department = ➕ Add a department
settings-btn-hide = 🚫 Hide
settings-btn-show = 👁 Show
settings-btn-move-to = → Move to «{ $section }»
settings-btn-roles = Roles
settings-btn-departments = Departments
settings-btn-deactivate = ⛔ Deactivate
settings-btn-deactivate-confirm = Yes, deactivate
settings-btn-reactivate = ♻️ Reactivate
settings-btn-settings-right = May change settings
settings-btn-no-department = No department
settings-btn-required = Required
settings-btn-multiple = Several values
settings-btn-filter = Shown in filter

## Contact types
settings-types-title = <b>Contact types</b> (in the order lists show them)
settings-types-line = { $position }. <b>{ $name }</b> — { $count ->
        [one] 1 contact
       *[other] { $count } contacts
    }
settings-types-empty = There is no contact type yet.
settings-type = <b>{ $name }</b>
    Position { $position } of { $total }, used by { $count ->
        [one] 1 contact
       *[other] { $count } contacts
    }.
settings-type-name-prompt = Send the name of the new contact type (or /cancel).
settings-type-added = Contact type «{ $name }» added.
settings-type-rename-prompt = Send the new name for «{ $name }» (or /cancel).
settings-type-renamed = Renamed.
settings-type-delete-confirm = Delete the contact type <b>{ $name }</b>? No contact uses it.
settings-type-delete-move = { $count ->
        [one] 1 contact uses
       *[other] { $count } contacts use
    } <b>{ $name }</b>. Which type should they get before it is deleted?
settings-type-delete-no-target = { $count ->
        [one] 1 contact uses
       *[other] { $count } contacts use
    } <b>{ $name }</b> and there is no other type to give them. Add another type first.
settings-type-deleted = Contact type «{ $name }» deleted.
settings-type-deleted-moved = Contact type «{ $name }» deleted; { $count ->
        [one] 1 contact is
       *[other] { $count } contacts are
    } now «{ $target }».

## Custom fields
settings-fields-title = <b>Custom fields</b>
settings-fields-line = • <b>{ $label }</b> — { $type }{ $flags }
settings-fields-empty = There is no custom field yet.
settings-flag-required = required
settings-flag-multiple = several values
settings-flag-filter = shown in filter
settings-field = <b>{ $label }</b>
    Type: { $type }
    Code: <code>{ $code }</code>
    Required: { $required }
    Several values: { $multiple }
    Shown in filter: { $filter }
settings-field-options = Options: { $options }
settings-field-label-prompt = Send the name of the new field, as staff will see it on cards (or /cancel).
settings-field-type-prompt = What kind of value does «{ $label }» hold? Its type cannot be changed later.
settings-field-type-chosen = Type: <b>{ $type }</b>
settings-field-options-prompt = Send the options of the list, one per line.
settings-field-req-prompt = Is the field required?
settings-field-mul-prompt = May it hold several values?
settings-field-flt-prompt = Show it in the search filters?
settings-field-added = Field added. It is shown at the end of the card's «More» section.
settings-field-rename-prompt = Send the new name for «{ $label }» (or /cancel).
settings-field-renamed = Renamed.
settings-field-delete-confirm = Delete the field <b>{ $label }</b>? It leaves cards and forms; the values already entered stay in the history.
settings-field-deleted = Field «{ $label }» deleted.

## Card layout
settings-layout-title = <b>Card layout</b>
    The sections of a contact card with their fields, in order. Open a section to hide, move or reorder its fields.
settings-layout-hidden = 🚫 { $label }
settings-layout-more = { " " }… and { $count } more
settings-section-title = <b>{ $title }</b>: choose a field.
settings-section-empty = This section has no field yet; move fields here from another section.
settings-layout-field = <b>{ $label }</b>
    Section «{ $section }», position { $position } of { $total }
    Hidden: { $hidden }
settings-section-prompt = Send the title of the new card section (or /cancel).
settings-section-added = Section «{ $title }» added.

## Staff and departments
settings-staff-title = <b>Staff</b>
settings-staff-line = • { $name }
settings-staff-line-admin = • { $name } — <i>administrator</i>
settings-staff-line-inactive = • <s>{ $name }</s> — <i>deactivated</i>
settings-member = <b>{ $name }</b>  <code>{ $telegram_id }</code>
    Active: { $active }
    Administrator: { $admin }
    Roles: { $roles }
    Departments: { $departments }
settings-member-roles = Roles of <b>{ $name }</b>: tap a role to give it or take it away. The highest level of all their roles applies.
settings-member-departments = Departments of <b>{ $name }</b>: tap to add or remove.
settings-member-deactivate-confirm = Deactivate <b>{ $name }</b>? They can no longer use the bot; their contacts and history stay.
settings-member-deactivated = { $name } is deactivated.
settings-member-reactivated = { $name } is active again.
settings-departments-title = <b>Departments</b>
settings-departments-line = • { $name }
settings-departments-empty = There is no department yet.
settings-department-prompt = Send the name of the new department (or /cancel).
settings-department-added = Department «{ $name }» added.

## Roles
settings-roles-title = <b>Roles</b>
settings-roles-line = • { $name }
settings-roles-line-settings = • { $name } — <i>may change settings</i>
settings-role-title = <b>{ $name }</b>
    What this role may do, for each action:
settings-role-line = { $action }: <b>{ $level }</b>
settings-role-settings = May change settings: <b>{ $allowed }</b>
settings-role-choose-level = <b>{ $name }</b> — { $action }: which contacts?
settings-role-name-prompt = Send the name of the new role (or /cancel). It starts with no rights; you set them next.
settings-role-added = Role «{ $name }» added. Choose what it may do.

## Invites
settings-invite-role = <b>Invite link</b>
    Which role will the new staff member get?
settings-invite-department = Role <b>{ $role }</b>. Which department will they join?
settings-invite-done = Invite link for the role <b>{ $role }</b>:
    { $link }
    Send it to the new staff member. It works once and expires on { $expires }.
settings-invite-done-department = Invite link for the role <b>{ $role }</b> in <b>{ $department }</b>:
    { $link }
    Send it to the new staff member. It works once and expires on { $expires }.

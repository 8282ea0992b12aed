# /settings → Web forms (F8): list, open, create and set up the forms from Telegram.
# HTML is allowed; arguments are escaped.

settings-menu-forms = Web forms

## The list
forms-title = <b>Web forms</b>
forms-line = • <b>{ $title }</b> <code>{ $slug }</code> — { $count ->
        [one] 1 submission
       *[other] { $count } submissions
    }
forms-line-disabled = • <s>{ $title }</s> <code>{ $slug }</code> — <i>disabled</i>, { $count ->
        [one] 1 submission
       *[other] { $count } submissions
    }
forms-empty = There is no web form yet.
forms-btn-add = ➕ New form

## One form
forms-form-title = 📝 <b>{ $title }</b>
forms-form-disabled = ⛔ <b>Disabled</b>: its page answers “not found” and posts are refused. Its submissions are kept.
forms-form-slug = Address: <code>{ $slug }</code>
forms-form-page = Hosted page: { $url }
forms-form-submissions = Submissions: { $count }
forms-form-scheme = Each lead creates: { $scheme }
forms-form-policy = Duplicates: { $policy }
forms-form-queue = Responsible queue: { $names }
forms-form-queue-admins = Responsible queue: empty, the active administrators take turns
forms-form-consent = Consent: <b>required</b>, «{ $text }»
forms-form-consent-off = Consent: not asked
forms-form-success = After a post: the text «{ $text }»
forms-form-success-none = After a post: the standard thank-you text
forms-form-redirect = After a post: browsers go to { $url }
forms-form-origins = Allowed origins: { $origins }
forms-form-key-set = API key: <b>set</b>
forms-form-key-none = API key: none
forms-form-fields = Fields: { $fields }
forms-inactive = { $name } (deactivated)

## Schemes and duplicate policies
forms-scheme-contact = a contact
forms-scheme-deal = a deal linked to its contact
forms-scheme-quote = a quote linked to its contact
forms-scheme-short-contact = contact
forms-scheme-short-deal = deal + contact
forms-scheme-short-quote = quote + contact
forms-policy-allow = <b>allow</b>, a new contact is created next to the known one
forms-policy-merge = <b>merge</b>, the known contact's empty fields are filled
forms-policy-replace = <b>replace</b>, the known contact's fields take the new values
forms-policy-short-allow = allow
forms-policy-short-merge = merge
forms-policy-short-replace = replace
forms-policy-btn-allow = Allow duplicates
forms-policy-btn-merge = Merge
forms-policy-btn-replace = Replace
forms-scheme-choose = <b>{ $title }</b>: what does each lead create?
forms-policy-choose = <b>{ $title }</b>: what happens when a visitor is already a contact (same phone, e-mail or full name)?
    • <b>Allow duplicates</b>: a new contact is created next to it.
    • <b>Merge</b>: the contact's empty fields are filled and the message is added to its comment.
    • <b>Replace</b>: the contact's fields take the submitted values.

## Buttons
forms-btn-title = ✏️ Title
forms-btn-fields = 📋 Fields ({ $count })
forms-btn-scheme = 🧩 Creates: { $scheme }
forms-btn-policy = 👥 Duplicates: { $policy }
forms-btn-queue = 🔁 Responsible queue ({ $count })
forms-btn-consent = Consent required
forms-btn-consent-text = ✏️ Consent text
forms-btn-success = ✏️ Success text
forms-btn-redirect = ↪ Redirect URL
forms-btn-origins = 🌐 Allowed origins
forms-btn-key-new = 🔑 New API key
forms-btn-key-remove = ✖ Remove the API key
forms-btn-key-confirm = Yes, make a new key
forms-btn-key-remove-confirm = Yes, remove the key
forms-btn-disable = ⛔ Disable
forms-btn-disable-confirm = Yes, disable
forms-btn-enable = ♻️ Enable
forms-btn-clear-redirect = ✖ No redirect
forms-btn-clear-origins = ✖ No allowed origins

## Fields
forms-fields-title = 📋 Fields of <b>{ $title }</b>, in the order visitors see them (* required):
forms-fields-line = { $position }. <b>{ $label }</b> · { $type } → { $feeds }
forms-fields-line-required = { $position }. <b>{ $label }</b>* · { $type } → { $feeds }
forms-fields-outdated = ⚠️ The form's fields changed meanwhile: nothing was saved. Here they are as they are now.
forms-feeds-contact = contact: { $target }
forms-feeds-custom = custom field «{ $label }»
forms-feeds-custom-gone = deleted custom field <code>{ $code }</code>
forms-feeds-nothing = nothing (kept on the submission)
forms-field-title = 🔹 <b>{ $label }</b>: field { $position } of { $count } of <b>{ $title }</b>
forms-field-name = Input name: <code>{ $name }</code>
forms-field-type = Type: { $type }
forms-field-label = Label { $language }: «{ $text }»
forms-field-label-none = Label { $language }: none (another language's is shown)
forms-field-placeholder = Placeholder { $language }: «{ $text }»
forms-field-placeholder-none = Placeholder { $language }: none
forms-field-required = Required: { $required }
forms-field-feeds = Feeds: { $feeds }
forms-field-options = Options: { $options }
forms-field-type-choose = What kind of input is «{ $label }»? Only the kinds that suit what it feeds are offered.
forms-field-add-choose = What will the new field of <b>{ $title }</b> feed? A contact field, a custom field (🧩), or nothing: the answer is then kept on the submission and added to the contact's comment.
forms-field-remove-confirm = Remove the field <b>{ $label }</b> from <b>{ $title }</b>? Visitors no longer see it; the submissions already received keep their answers.
forms-field-added = ✅ Field added at the end: adjust it here.
forms-field-removed = ✅ Field «{ $label }» removed.
# The label of a new field that feeds nothing, in both languages.
forms-field-new-label = Answer { $number }
forms-language-en = English
forms-language-fr = French
forms-btn-field-add = ➕ Add a field
forms-btn-field-required = Required
forms-btn-field-label = ✏️ Label { $language }
forms-btn-field-placeholder = 💬 Placeholder { $language }
forms-btn-field-type = 🔤 Type: { $type }
forms-btn-field-options = 📋 Options
forms-btn-field-up = ⬆️ Move up
forms-btn-field-down = ⬇️ Move down
forms-btn-field-remove = 🗑 Remove
forms-btn-field-remove-confirm = Yes, remove it
forms-btn-field-clear-placeholder = ✖ No placeholder
forms-btn-field-nothing = 📥 Nothing: kept on the submission
forms-field-ask-label = Send the label of «{ $label }» in { $language } (or /cancel).
forms-field-ask-placeholder = Send the placeholder of «{ $label }» in { $language }: the hint shown in the empty input (or /cancel).
forms-field-ask-options = Send the options of «{ $label }», one per line (or /cancel). They replace the current ones.
forms-field-ask-select = A choice list needs options: send those of «{ $label }», one per line (or /cancel).

## Input types
forms-type-text = text (one line)
forms-type-textarea = text (several lines)
forms-type-email = e-mail
forms-type-tel = phone
forms-type-url = link
forms-type-number = number
forms-type-date = date
forms-type-select = choice list
forms-type-checkbox = checkbox

## What a field feeds (the core catalogue names the other contact fields)
forms-target-name = Full name
forms-target-phone = Phone
forms-target-email = E-mail
forms-target-website = Website
forms-target-telegram = Telegram
forms-target-company = Company
forms-target-message = Message (comment)

## Responsible queue
forms-queue-title = Responsible queue of <b>{ $title }</b>: new leads go in turn to the checked staff members. With nobody checked, the active administrators take turns.
forms-queue-order = Order: { $names }

## Questions
forms-slug-prompt = Send the address of the new form: lower-case letters, digits and hyphens, such as <code>quote-request</code>. Its page will be /forms/quote-request; the address cannot be changed later. (Or /cancel.)
forms-slug-again = Send another address (or /cancel).
forms-title-prompt = Send the title visitors will see (or /cancel).
forms-ask-title = Send the new title of «{ $title }» (or /cancel).
forms-ask-consent_text = Send the consent text visitors must accept (or /cancel).
forms-ask-consent_text-required = Consent needs a text: send the text visitors must accept (or /cancel).
forms-ask-success_text = Send the text shown after a post, when there is no redirect URL (or /cancel).
forms-ask-redirect_url = Send the address browsers go to after a post, starting with https:// (or /cancel).
forms-ask-allowed_origins = Send the sites that may embed the form or post to it from a browser, one per line, as scheme://host[:port] such as https://example.com (or /cancel). They replace the current list.

## Confirmations and notices
forms-key-replace-confirm = Make a new API key for <b>{ $title }</b>? Servers that send the current key are refused from then on.
forms-key-remove-confirm = Remove the API key of <b>{ $title }</b>? Servers that send it are refused from then on.
forms-disable-confirm = Disable <b>{ $title }</b>? Its page answers “not found” and posts are refused; its submissions are kept.
forms-saved = ✅ Saved.
forms-created = ✅ Form «{ $title }» created with the standard fields (name, phone, e-mail, message) and a required consent.
forms-key-new = 🔑 New API key, shown only this once: copy it now.
    <code>{ $key }</code>
    Servers send it in the <code>X-Carnet-Form-Key</code> header. A lost key cannot be shown again; make a new one.
forms-key-removed = ✅ API key removed.
forms-disabled = ⛔ Form disabled; its submissions are kept.
forms-enabled = ✅ Form enabled: it is served again.

## Setting names in error messages
field-slug = Address
field-scheme = Scheme
field-dedup_policy = Duplicates
field-responsible_queue = Responsible queue
field-consent_text = Consent text
field-consent_required = Consent required
field-success_text = Success text
field-redirect_url = Redirect URL
field-allowed_origins = Allowed origins
field-api_key = API key
field-is_active = Active
field-fields = Fields

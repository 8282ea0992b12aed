# /settings → Web forms → a form: its texts per language and the look of its page.
# HTML is allowed; arguments are escaped.

forms-btn-texts = 🌍 Texts per language
forms-btn-look = 🎨 Look of the page

## Texts per language
forms-texts-title = 🌍 Texts of <b>{ $title }</b>. Visitors read their language's version, else the team's language ({ $team }).
forms-texts-heading-title = <b>Title</b>
forms-texts-heading-consent_text = <b>Consent text</b>
forms-texts-heading-success_text = <b>Thank-you text</b>
forms-texts-line = { $language }: «{ $text }»
forms-texts-line-fallback = { $language }: not written, { $name } visitors read «{ $text }»
forms-texts-line-none = { $language }: none
forms-btn-text-title = ✏️ Title { $language }
forms-btn-text-consent_text = ✏️ Consent { $language }
forms-btn-text-success_text = ✏️ Thanks { $language }
forms-ask-text-title = Send the title of «{ $title }» in { $language } (or /cancel).
forms-ask-text-consent_text = Send the consent text of «{ $title }» in { $language }: what visitors reading it accept (or /cancel).
forms-ask-text-success_text = Send the thank-you text of «{ $title }» in { $language }, shown after a post (or /cancel).
forms-btn-clear-text = ✖ Remove this version

## The look of the page
forms-look-title = 🎨 Look of the page of <b>{ $title }</b>: the company's name and logo over the form, its colour on the button. Embedded forms take the colour too.
forms-look-brand_name = Company name: «{ $value }»
forms-look-brand_name-none = Company name: none
forms-look-accent_color = Accent colour: <code>{ $value }</code>
forms-look-accent_color-none = Accent colour: the standard blue
forms-look-logo_url = Logo: { $value }
forms-look-logo_url-none = Logo: none
forms-btn-brand_name = 🏷 Company name
forms-btn-accent_color = 🎨 Accent colour
forms-btn-logo_url = 🖼 Logo
forms-ask-brand_name = Send the company's name shown on the page of «{ $title }» (or /cancel).
forms-ask-accent_color = Send the accent colour of the page of «{ $title }» as #rrggbb, such as #1f5fbf (or /cancel).
forms-ask-logo_url = Send the address of the company's logo, starting with https://, such as https://example.com/logo.png (or /cancel).
forms-btn-clear-brand_name = ✖ No company name
forms-btn-clear-accent_color = ✖ Standard colour
forms-btn-clear-logo_url = ✖ No logo

## A choice list's options per language (the fields editor)
forms-field-option-labels = Options { $language }: { $options }
forms-field-option-labels-none = Options { $language }: none, { $name } visitors read the options as written
forms-btn-field-option-labels = 📋 Options { $language }
forms-field-ask-option_labels = Send the options of «{ $label }» in { $language }, one per line, in this order: { $options } (or /cancel).
forms-btn-field-clear-option-labels = ✖ No labels in this language

## Setting names in error messages
field-translations = Texts per language
field-language = Language
field-text = Text
field-brand_name = Company name
field-accent_color = Accent colour
field-logo_url = Logo URL

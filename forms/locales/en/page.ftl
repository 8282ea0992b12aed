# Web forms: the hosted page, the embedded form and the answers to visitors. Arguments are escaped.

page-submit = Send
page-sending = Sending…
page-required-note = Fields marked with * are required.
page-required = required
page-error-summary = There is a problem: please check the fields below.
page-error-prefix = Error:
page-consent-legend = Consent
page-trap-label = Leave this field empty
page-choose = Choose…
page-sent-title = Thank you
page-sent-default = Your message has been sent. We will get back to you soon.
page-back = Back to the form
page-not-found-title = Form not found
page-not-found = This form does not exist or is no longer available.
page-error-title = The form could not be sent
page-too-large = The form is too large to be sent (1 MiB at most).
page-timeout = The form took too long to arrive: nothing was sent. Please try again.
page-unsupported = This kind of content cannot be sent to a form; send it as a web form or as JSON.
page-malformed = The form data could not be read.
page-malformed-json = The body is not valid JSON.
page-json-object = The body must be a JSON object of field names and values.
page-bad-value = This value cannot be read (nested objects, invalid characters or a number that is too large).
page-bad-idempotency-key = The Idempotency-Key header must be 1 to 128 visible ASCII characters.
page-busy = The same form is being sent at this moment; try again in a second.
page-origin-refused = This site may not use this form.
page-key-refused = The form key is not valid.
page-key-reused = This Idempotency-Key was already used with another body; send a new key for a new submission.
page-status-key-missing = Send the form's API key in the X-Carnet-Form-Key header to read its submissions.
page-submission-not-found = This form has no such submission.
page-rejected = The form could not be accepted.
page-network-error = The form could not be sent. Check your connection and try again.
page-unavailable-title = Temporarily unavailable
page-unavailable = We cannot take your message right now. Please try again in a few minutes.
page-unavailable-kept = We cannot take your message right now: it was not sent. Your answers are kept below; please send them again in a few minutes.
page-rate-limited = Too many messages have been sent just now. Please try again in { $seconds ->
        [one] 1 second.
       *[other] { $seconds } seconds.
    }
page-internal-error = Something went wrong on our side and it has been logged. Please try again later.
page-unauthenticated = This post was not accepted: send the form's API key in the X-Carnet-Form-Key header, or post from one of the form's allowed origins with the page's token (_token).

## Field errors (the core's reasons, in the visitor's words)
page-error-required = { $label } is required.
page-error-consent = Please give your consent to send the form.
page-error-checked = { $label } must be checked.
page-error-option = { $label }: choose one of the options.
page-error-one-value = { $label }: give one value only.
page-error-phone = { $label } is not a valid phone number.
page-error-phone-country = { $label }: add the country code, such as +33.
page-error-email = { $label } is not a valid e-mail address.
page-error-url = { $label } is not a valid web address.
page-error-date = { $label }: enter a date such as 25/04/1990.
page-error-number = { $label }: enter a number such as 12.50.
page-error-too-long = { $label } is too long.
page-error-other = { $label }: { $message }

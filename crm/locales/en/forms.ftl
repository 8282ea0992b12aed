# Web forms (F8): the lead alert queued for staff (plain text: the outbox sender escapes it).
form-alert-new = New lead from the form “{ $form }”
form-alert-twin = New lead from the form “{ $form }” (it looks like contact #{ $id })
form-alert-merged = Duplicate from the form “{ $form }”: merged into #{ $id } { $name }
form-alert-replaced = Duplicate from the form “{ $form }”: #{ $id } { $name } updated with these values
form-alert-name = Name: { $value }
form-alert-phone = Phone: { $value }
form-alert-email = E-mail: { $value }
form-alert-website = Website: { $value }
form-alert-telegram = Telegram: { $value }
form-alert-company = Company: { $value }
form-alert-message = Message: { $value }
form-alert-utm = UTM: { $value }
form-alert-deal = Deal: { $value }
form-alert-quote = Quote: { $value }
form-alert-open = Open
form-alert-take = Take it
# The history line a submission leaves on its contact ("Web form: Contact us (submission #12)").
field-web_form = Web form
# What an anonymous post would change on a known contact, not written: Apply / Ignore.
form-alert-proposal = Proposed, not applied:
form-alert-propose-field = { $field }: { $value }
form-alert-propose-now = (now: { $value })
form-alert-propose-primary = { $kind ->
    [phones] Phone
    [emails] E-mail
    [websites] Website
   *[other] Messenger
}, as the main one: { $value }
form-alert-propose-add = { $kind ->
    [phones] Phone
    [emails] E-mail
    [websites] Website
   *[other] Messenger
}, added: { $value }
form-alert-propose-message = Add the message to the comment
form-alert-apply = Apply
form-alert-ignore = Ignore

# /settings → Web forms → a form → Held (F8): posts kept as spam or over a rate limit.
# HTML is allowed; arguments are escaped.

held-btn = 🛡 Held ({ $count })
held-title = 🛡 Held posts of <b>{ $title }</b>
held-intro = Spam and posts over a rate limit are kept here, newest first. <b>Release</b> one to make it a lead (the duplicate check, the responsible and the alert work as for any post), or <b>delete</b> it.
held-empty = Nothing is held: every post became a lead or was refused.
held-line = <b>#{ $id }</b> · { $at } · { $reason }
held-who = { $who }
held-who-unknown = <i>no name or e-mail given</i>
held-reason-rate-address = ⏳ over the rate limit of one address
held-reason-rate-form = ⏳ over the form's rate limit
held-reason-trap = 🚫 spam: the hidden trap field was filled
held-reason-no-token = 🚫 spam: sent without the page's token
held-reason-forged-token = 🚫 spam: the page's token was forged
held-reason-expired-token = 🚫 spam: the page was more than a day old
held-reason-too-fast = 🚫 spam: sent faster than a person can type
held-reason-captcha = 🚫 spam: the captcha check failed
held-reason-unauthenticated = 🚫 spam: a script sent no API key, page token or allowed origin
held-reason-other-spam = 🚫 spam: { $reason }
held-reason-other-held = ⏳ held: { $reason }
held-btn-release = ✅ Release #{ $id }
held-btn-delete = 🗑 Delete #{ $id }
held-btn-delete-confirm = Yes, delete it
held-delete-confirm = Delete post <b>#{ $id }</b> ({ $who }) for good? What the visitor sent is deleted with it.
held-released-created = ✅ Post #{ $id } released: a new contact was created.
held-released-merged = ✅ Post #{ $id } released: it went to a contact already known.
held-released-rejected = ⚠️ Post #{ $id } released, but its answers were refused: { $errors }
held-released-other = ✅ Post #{ $id } released: { $status }.
held-deleted = ✅ Post #{ $id } deleted.
held-gone = ⚠️ Post #{ $id } is no longer held: someone released or deleted it meanwhile.

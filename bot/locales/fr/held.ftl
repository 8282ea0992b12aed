# /settings → Formulaires web → un formulaire → Retenus (F8) : envois gardés comme spam ou
# au-delà d'une limite de débit. Le HTML est permis ; les arguments sont échappés.

held-btn = 🛡 Retenus ({ $count })
held-title = 🛡 Envois retenus de <b>{ $title }</b>
held-intro = Le spam et les envois au-delà d’une limite de débit sont gardés ici, du plus récent au plus ancien. <b>Libérez</b>-en un pour en faire un prospect (recherche de doublons, responsable et alerte comme pour tout envoi), ou <b>supprimez</b>-le.
held-empty = Rien n’est retenu : chaque envoi est devenu un prospect ou a été refusé.
held-line = <b>#{ $id }</b> · { $at } · { $reason }
held-who = { $who }
held-who-unknown = <i>ni nom ni e-mail</i>
held-reason-rate-address = ⏳ au-delà de la limite d’une adresse
held-reason-rate-form = ⏳ au-delà de la limite du formulaire
held-reason-trap = 🚫 spam : le champ piège caché était rempli
held-reason-no-token = 🚫 spam : envoyé sans le jeton de la page
held-reason-forged-token = 🚫 spam : le jeton de la page était falsifié
held-reason-expired-token = 🚫 spam : la page avait plus d’un jour
held-reason-too-fast = 🚫 spam : envoyé plus vite qu’une personne ne tape
held-reason-captcha = 🚫 spam : la vérification captcha a échoué
held-reason-unauthenticated = 🚫 spam : un script sans clé d’API, jeton de page ni origine autorisée
held-reason-other-spam = 🚫 spam : { $reason }
held-reason-other-held = ⏳ retenu : { $reason }
held-btn-release = ✅ Libérer #{ $id }
held-btn-delete = 🗑 Supprimer #{ $id }
held-btn-delete-confirm = Oui, le supprimer
held-delete-confirm = Supprimer définitivement l’envoi <b>#{ $id }</b> ({ $who }) ? Ce que le visiteur a envoyé est supprimé avec lui.
held-released-created = ✅ Envoi #{ $id } libéré : un nouveau contact a été créé.
held-released-merged = ✅ Envoi #{ $id } libéré : il est allé à un contact déjà connu.
held-released-rejected = ⚠️ Envoi #{ $id } libéré, mais ses réponses ont été refusées : { $errors }
held-released-other = ✅ Envoi #{ $id } libéré : { $status }.
held-deleted = ✅ Envoi #{ $id } supprimé.
held-gone = ⚠️ L’envoi #{ $id } n’est plus retenu : quelqu’un l’a libéré ou supprimé entre-temps.

# /settings → Formulaires web (F8) : lister, ouvrir, créer et régler les formulaires depuis Telegram.
# Le HTML est permis ; les arguments sont échappés.

settings-menu-forms = Formulaires web

## La liste
forms-title = <b>Formulaires web</b>
forms-line = • <b>{ $title }</b> <code>{ $slug }</code> — { $count ->
        [one] { $count } envoi
       *[other] { $count } envois
    }
forms-line-disabled = • <s>{ $title }</s> <code>{ $slug }</code> — <i>désactivé</i>, { $count ->
        [one] { $count } envoi
       *[other] { $count } envois
    }
forms-empty = Il n'y a encore aucun formulaire web.
forms-btn-add = ➕ Nouveau formulaire

## Un formulaire
forms-form-title = 📝 <b>{ $title }</b>
forms-form-disabled = ⛔ <b>Désactivé</b> : sa page répond « introuvable » et les envois sont refusés. Ses envois passés sont conservés.
forms-form-slug = Adresse : <code>{ $slug }</code>
forms-form-page = Page hébergée : { $url }
forms-form-submissions = Envois : { $count }
forms-form-scheme = Chaque prospect crée : { $scheme }
forms-form-policy = Doublons : { $policy }
forms-form-queue = File des responsables : { $names }
forms-form-queue-admins = File des responsables : vide, les administrateurs actifs se relaient
forms-form-consent = Consentement : <b>obligatoire</b>, « { $text } »
forms-form-consent-off = Consentement : non demandé
forms-form-success = Après un envoi : le texte « { $text } »
forms-form-success-none = Après un envoi : le texte de remerciement standard
forms-form-redirect = Après un envoi : les navigateurs vont à { $url }
forms-form-origins = Origines autorisées : { $origins }
forms-form-key-set = Clé d'API : <b>définie</b>
forms-form-key-none = Clé d'API : aucune
forms-form-fields = Champs : { $fields }
forms-inactive = { $name } (désactivé)

## Schémas et doublons
forms-scheme-contact = un contact
forms-scheme-deal = une affaire liée à son contact
forms-scheme-quote = un devis lié à son contact
forms-scheme-short-contact = contact
forms-scheme-short-deal = affaire + contact
forms-scheme-short-quote = devis + contact
forms-policy-allow = <b>permis</b>, un nouveau contact est créé à côté du contact connu
forms-policy-merge = <b>fusion</b>, les champs vides du contact connu sont remplis
forms-policy-replace = <b>remplacement</b>, les champs du contact connu prennent les nouvelles valeurs
forms-policy-short-allow = permis
forms-policy-short-merge = fusion
forms-policy-short-replace = remplacement
forms-policy-btn-allow = Permettre les doublons
forms-policy-btn-merge = Fusionner
forms-policy-btn-replace = Remplacer
forms-scheme-choose = <b>{ $title }</b> : que crée chaque prospect ?
forms-policy-choose = <b>{ $title }</b> : que se passe-t-il quand le visiteur est déjà un contact (même téléphone, e-mail ou nom complet) ?
    • <b>Permettre les doublons</b> : un nouveau contact est créé à côté.
    • <b>Fusionner</b> : les champs vides du contact sont remplis et le message est ajouté à son commentaire.
    • <b>Remplacer</b> : les champs du contact prennent les valeurs envoyées.

## Boutons
forms-btn-title = ✏️ Titre
forms-btn-fields = 📋 Champs ({ $count })
forms-btn-scheme = 🧩 Crée : { $scheme }
forms-btn-policy = 👥 Doublons : { $policy }
forms-btn-queue = 🔁 File des responsables ({ $count })
forms-btn-consent = Consentement obligatoire
forms-btn-consent-text = ✏️ Texte du consentement
forms-btn-success = ✏️ Texte de remerciement
forms-btn-redirect = ↪ Adresse de redirection
forms-btn-origins = 🌐 Origines autorisées
forms-btn-key-new = 🔑 Nouvelle clé d'API
forms-btn-key-remove = ✖ Supprimer la clé d'API
forms-btn-key-confirm = Oui, créer une nouvelle clé
forms-btn-key-remove-confirm = Oui, supprimer la clé
forms-btn-disable = ⛔ Désactiver
forms-btn-disable-confirm = Oui, désactiver
forms-btn-enable = ♻️ Réactiver
forms-btn-clear-redirect = ✖ Pas de redirection
forms-btn-clear-origins = ✖ Aucune origine autorisée

## Champs
forms-fields-title = 📋 Champs de <b>{ $title }</b>, dans l'ordre où les visiteurs les voient (* obligatoire) :
forms-fields-line = { $position }. <b>{ $label }</b> · { $type } → { $feeds }
forms-fields-line-required = { $position }. <b>{ $label }</b>* · { $type } → { $feeds }
forms-fields-outdated = ⚠️ Les champs du formulaire ont changé entre-temps : rien n'a été enregistré. Les voici tels qu'ils sont maintenant.
forms-feeds-contact = contact : { $target }
forms-feeds-custom = champ personnalisé « { $label } »
forms-feeds-custom-gone = champ personnalisé supprimé <code>{ $code }</code>
forms-feeds-nothing = rien (gardé dans l'envoi)
forms-field-title = 🔹 <b>{ $label }</b> : champ { $position } sur { $count } de <b>{ $title }</b>
forms-field-name = Nom de saisie : <code>{ $name }</code>
forms-field-type = Type : { $type }
forms-field-label = Libellé { $language } : « { $text } »
forms-field-label-none = Libellé { $language } : aucun (celui d'une autre langue est affiché)
forms-field-placeholder = Indication { $language } : « { $text } »
forms-field-placeholder-none = Indication { $language } : aucune
forms-field-required = Obligatoire : { $required }
forms-field-feeds = Alimente : { $feeds }
forms-field-options = Options : { $options }
forms-field-type-choose = Quel genre de saisie est « { $label } » ? Seuls les genres adaptés à ce qu'il alimente sont proposés.
forms-field-add-choose = Qu'alimentera le nouveau champ de <b>{ $title }</b> ? Un champ du contact, un champ personnalisé (🧩), ou rien : la réponse est alors gardée dans l'envoi et ajoutée au commentaire du contact.
forms-field-remove-confirm = Retirer le champ <b>{ $label }</b> de <b>{ $title }</b> ? Les visiteurs ne le verront plus ; les envois déjà reçus gardent leurs réponses.
forms-field-added = ✅ Champ ajouté à la fin : réglez-le ici.
forms-field-removed = ✅ Champ « { $label } » retiré.
# Le libellé d'un nouveau champ qui n'alimente rien, dans les deux langues.
forms-field-new-label = Réponse { $number }
forms-language-en = anglais
forms-language-fr = français
forms-btn-field-add = ➕ Ajouter un champ
forms-btn-field-required = Obligatoire
forms-btn-field-label = ✏️ Libellé { $language }
forms-btn-field-placeholder = 💬 Indication { $language }
forms-btn-field-type = 🔤 Type : { $type }
forms-btn-field-options = 📋 Options
forms-btn-field-up = ⬆️ Monter
forms-btn-field-down = ⬇️ Descendre
forms-btn-field-remove = 🗑 Retirer
forms-btn-field-remove-confirm = Oui, le retirer
forms-btn-field-clear-placeholder = ✖ Pas d'indication
forms-btn-field-nothing = 📥 Rien : gardé dans l'envoi
forms-field-ask-label = Envoyez le libellé de « { $label } » en { $language } (ou /cancel).
forms-field-ask-placeholder = Envoyez l'indication de « { $label } » en { $language } : le texte d'aide affiché dans la saisie vide (ou /cancel).
forms-field-ask-options = Envoyez les options de « { $label } », une par ligne (ou /cancel). Elles remplacent les options actuelles.
forms-field-ask-select = Une liste de choix a besoin d'options : envoyez celles de « { $label } », une par ligne (ou /cancel).

## Types de saisie
forms-type-text = texte (une ligne)
forms-type-textarea = texte (plusieurs lignes)
forms-type-email = e-mail
forms-type-tel = téléphone
forms-type-url = lien
forms-type-number = nombre
forms-type-date = date
forms-type-select = liste de choix
forms-type-checkbox = case à cocher

## Ce qu'alimente un champ (le catalogue du cœur nomme les autres champs du contact)
forms-target-name = Nom complet
forms-target-phone = Téléphone
forms-target-email = E-mail
forms-target-website = Site web
forms-target-telegram = Telegram
forms-target-company = Entreprise
forms-target-message = Message (commentaire)

## File des responsables
forms-queue-title = File des responsables de <b>{ $title }</b> : les nouveaux prospects vont à tour de rôle aux collaborateurs cochés. Si personne n'est coché, les administrateurs actifs se relaient.
forms-queue-order = Ordre : { $names }

## Questions
forms-slug-prompt = Envoyez l'adresse du nouveau formulaire : lettres minuscules, chiffres et tirets, par exemple <code>demande-devis</code>. Sa page sera /forms/demande-devis ; l'adresse ne pourra plus changer. (Ou /cancel.)
forms-slug-again = Envoyez une autre adresse (ou /cancel).
forms-title-prompt = Envoyez le titre que les visiteurs verront (ou /cancel).
forms-ask-title = Envoyez le nouveau titre de « { $title } » (ou /cancel).
forms-ask-consent_text = Envoyez le texte de consentement que les visiteurs doivent accepter (ou /cancel).
forms-ask-consent_text-required = Le consentement a besoin d'un texte : envoyez le texte que les visiteurs doivent accepter (ou /cancel).
forms-ask-success_text = Envoyez le texte affiché après un envoi, quand il n'y a pas de redirection (ou /cancel).
forms-ask-redirect_url = Envoyez l'adresse où vont les navigateurs après un envoi, commençant par https:// (ou /cancel).
forms-ask-allowed_origins = Envoyez les sites qui peuvent intégrer le formulaire ou y envoyer depuis un navigateur, un par ligne, sous la forme schéma://hôte[:port], par exemple https://example.com (ou /cancel). Ils remplacent la liste actuelle.

## Confirmations et avis
forms-key-replace-confirm = Créer une nouvelle clé d'API pour <b>{ $title }</b> ? Les serveurs qui envoient la clé actuelle seront refusés.
forms-key-remove-confirm = Supprimer la clé d'API de <b>{ $title }</b> ? Les serveurs qui l'envoient seront refusés.
forms-disable-confirm = Désactiver <b>{ $title }</b> ? Sa page répondra « introuvable » et les envois seront refusés ; ses envois passés sont conservés.
forms-saved = ✅ Enregistré.
forms-created = ✅ Formulaire « { $title } » créé avec les champs standard (nom, téléphone, e-mail, message) et un consentement obligatoire.
forms-key-new = 🔑 Nouvelle clé d'API, affichée cette seule fois : copiez-la maintenant.
    <code>{ $key }</code>
    Les serveurs l'envoient dans l'en-tête <code>X-Carnet-Form-Key</code>. Une clé perdue ne peut pas être réaffichée ; créez-en une nouvelle.
forms-key-removed = ✅ Clé d'API supprimée.
forms-disabled = ⛔ Formulaire désactivé ; ses envois sont conservés.
forms-enabled = ✅ Formulaire réactivé : il est de nouveau servi.

## Noms des réglages dans les messages d'erreur
field-slug = Adresse
field-scheme = Schéma
field-dedup_policy = Doublons
field-responsible_queue = File des responsables
field-consent_text = Texte du consentement
field-consent_required = Consentement obligatoire
field-success_text = Texte de remerciement
field-redirect_url = Adresse de redirection
field-allowed_origins = Origines autorisées
field-api_key = Clé d'API
field-is_active = Actif
field-fields = Champs

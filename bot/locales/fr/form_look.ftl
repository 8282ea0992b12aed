# /settings → Formulaires web → un formulaire : ses textes par langue et l'apparence de sa page.
# Le HTML est permis ; les arguments sont échappés.

forms-btn-texts = 🌍 Textes par langue
forms-btn-look = 🎨 Apparence de la page

## Textes par langue
forms-texts-title = 🌍 Textes de <b>{ $title }</b>. Chaque visiteur lit la version de sa langue, sinon celle de l'équipe ({ $team }).
forms-texts-heading-title = <b>Titre</b>
forms-texts-heading-consent_text = <b>Texte du consentement</b>
forms-texts-heading-success_text = <b>Texte de remerciement</b>
forms-texts-line = { $language } : « { $text } »
forms-texts-line-fallback = { $language } : pas écrit, les visiteurs en { $name } lisent « { $text } »
forms-texts-line-none = { $language } : aucun
forms-btn-text-title = ✏️ Titre { $language }
forms-btn-text-consent_text = ✏️ Consentement { $language }
forms-btn-text-success_text = ✏️ Merci { $language }
forms-ask-text-title = Envoyez le titre de « { $title } » en { $language } (ou /cancel).
forms-ask-text-consent_text = Envoyez le texte du consentement de « { $title } » en { $language } : ce que les visiteurs qui le lisent acceptent (ou /cancel).
forms-ask-text-success_text = Envoyez le texte de remerciement de « { $title } » en { $language }, affiché après un envoi (ou /cancel).
forms-btn-clear-text = ✖ Retirer cette version

## L'apparence de la page
forms-look-title = 🎨 Apparence de la page de <b>{ $title }</b> : le nom et le logo de l'entreprise au-dessus du formulaire, sa couleur sur le bouton. Les formulaires intégrés prennent aussi la couleur.
forms-look-brand_name = Nom de l'entreprise : « { $value } »
forms-look-brand_name-none = Nom de l'entreprise : aucun
forms-look-accent_color = Couleur d'accent : <code>{ $value }</code>
forms-look-accent_color-none = Couleur d'accent : le bleu standard
forms-look-logo_url = Logo : { $value }
forms-look-logo_url-none = Logo : aucun
forms-btn-brand_name = 🏷 Nom de l'entreprise
forms-btn-accent_color = 🎨 Couleur d'accent
forms-btn-logo_url = 🖼 Logo
forms-ask-brand_name = Envoyez le nom de l'entreprise affiché sur la page de « { $title } » (ou /cancel).
forms-ask-accent_color = Envoyez la couleur d'accent de la page de « { $title } » au format #rrggbb, par exemple #1f5fbf (ou /cancel).
forms-ask-logo_url = Envoyez l'adresse du logo de l'entreprise, commençant par https://, par exemple https://example.com/logo.png (ou /cancel).
forms-btn-clear-brand_name = ✖ Pas de nom d'entreprise
forms-btn-clear-accent_color = ✖ Couleur standard
forms-btn-clear-logo_url = ✖ Pas de logo

## Les options d'une liste de choix par langue (l'éditeur de champs)
forms-field-option-labels = Options { $language } : { $options }
forms-field-option-labels-none = Options { $language } : aucune, les visiteurs en { $name } lisent les options telles qu'elles sont écrites
forms-btn-field-option-labels = 📋 Options { $language }
forms-field-ask-option_labels = Envoyez les options de « { $label } » en { $language }, une par ligne, dans cet ordre : { $options } (ou /cancel).
forms-btn-field-clear-option-labels = ✖ Pas de libellés dans cette langue

## Noms des réglages dans les messages d'erreur
field-translations = Textes par langue
field-language = Langue
field-text = Texte
field-brand_name = Nom de l'entreprise
field-accent_color = Couleur d'accent
field-logo_url = Adresse du logo

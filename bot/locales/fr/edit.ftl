# Modifier un contact et le lier à des entreprises et des affaires (boutons ✏️ et 🔗 de la fiche).
# HTML permis ; arguments échappés.

## Menu de modification
edit-menu =
    ✏️ <b>{ $name }</b> <code>#{ $id }</code>
    Choisissez le champ à modifier.
edit-menu-hidden = <i>◌ signale un champ masqué sur la fiche.</i>
edit-btn-hidden = ◌ { $label }
edit-btn-value = { $label } : { $value }
edit-btn-done = ✅ Terminé
edit-btn-clear = 🧹 Vider
edit-btn-cancel = ✖ Annuler
edit-btn-add = ➕ Ajouter
edit-btn-primary = ★ Rendre principal
edit-btn-remove = 🗑 Retirer
edit-btn-open-current = Ouvrir la fiche à jour
edit-saved = ✅ Enregistré.
edit-unchanged = Rien n'a changé.
edit-outdated = Ce bouton est périmé. Rouvrez la fiche.
edit-stale = Quelqu'un d'autre a modifié ce contact après que vous l'avez ouvert. Rien n'a été écrasé : ouvrez la fiche à jour et refaites votre modification.
edit-stale-short = Modifié entre-temps par quelqu'un d'autre.

## Valeurs saisies et choix
edit-ask = Envoyez la nouvelle valeur de <b>{ $field }</b>, ou videz le champ.
edit-ask-again = Envoyez de nouveau la valeur de <b>{ $field }</b>.
edit-current = Actuellement : <code>{ $value }</code>
edit-hint-date = Par exemple 25/04/1990 ou 1990-04-25.
edit-hint-datetime = Par exemple 2026-05-01T10:00+02:00.
edit-hint-multiple = Une valeur par ligne.
edit-choose = <b>{ $field }</b> : choisissez une valeur.
edit-choose-many = <b>{ $field }</b> : touchez une valeur pour l'ajouter ou la retirer (✓ = choisie).

## Téléphones, e-mails, sites web, messageries
edit-channels = <b>{ $field }</b> (★ le principal). Touchez une valeur pour changer son type, la rendre principale ou la retirer.
edit-channels-empty = Aucun pour l'instant.
edit-channel =
    <b>{ $field }</b> : { $value } ({ $vtype })
    Choisissez son type, rendez-la principale ou retirez-la.
edit-channel-ask = Envoyez la valeur à ajouter à <b>{ $field }</b>.
edit-channel-type = De quel type est « { $value } » ?

## Liens vers des entreprises et des affaires
link-menu = 🔗 <b>{ $name }</b> <code>#{ $id }</code>
link-companies = <b>Entreprises</b> (★ la principale)
link-deals = <b>Affaires</b>
link-ask = Envoyez le titre d'une entreprise ou d'une affaire pour la trouver, ou le titre d'une nouvelle entreprise pour la créer.
link-found = Résultats pour « { $query } » : touchez-en un pour le lier.
link-nothing = Aucune entreprise ni affaire ne correspond à « { $query } ».
link-expired = Cette recherche est périmée. Envoyez de nouveau le titre.
link-btn-company = 🏢 { $title }
link-btn-as-primary = ★ Comme principale
link-btn-deal = 💼 { $title }
link-btn-create = ➕ Créer l'entreprise « { $title } »
link-btn-unlink = ✖ Délier { $title }
link-btn-make-primary = ★ Rendre principale
link-btn-done = ✅ Terminé
link-linked = ✅ Lié.
link-unlinked = ✅ Lien retiré.
link-primary-set = ✅ Entreprise principale changée.
link-created = ✅ Entreprise « { $title } » créée et liée.

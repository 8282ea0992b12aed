# Le bot du personnel : accès, démarrage, aide, langue, recherche, fiche. HTML permis ; arguments échappés.

## Accès
access-refused = Ce bot est le CRM privé d'une équipe. Demandez un lien d'invitation à l'un de ses administrateurs.
access-refused-short = Seuls les membres de l'équipe peuvent utiliser ce bot.
button-outdated = Ce bouton n'est plus valable ; rouvrez la liste ou la fiche.
error-short = Impossible.

## Démarrage, invitations, aide
invite-invalid = Ce lien d'invitation n'est pas valide. Demandez-en un nouveau à un administrateur.
invite-welcome = Bienvenue, <b>{ $name }</b> ! Vous pouvez maintenant chercher et ajouter des contacts. Envoyez /help pour voir ce que vous pouvez faire.
start-hello = Bonjour, <b>{ $name }</b> !
help-title = <b>Ce que vous pouvez faire</b>
help-find = /find <i>texte</i> — chercher des contacts par nom, téléphone (tout format, 4 chiffres ou plus), e-mail ou entreprise. Tout texte simple lance aussi une recherche.
help-inline = <code>@{ $bot } texte</code> dans n'importe quelle discussion — insérer une fiche contact.
help-new = /new — ajouter un contact pas à pas, ou en une ligne : <code>/new Jean Dupont +33 6 12 34 56 78 jean@example.fr Acme</code>
help-share = Partagez un contact Telegram, transférez un message ou envoyez un fichier .vcf pour ajouter des contacts.
help-settings = /settings — types de contact, champs personnalisés, disposition de la fiche, équipe, rôles, invitations.
help-language = /language — changer la langue du bot.
help-cancel = /cancel — quitter la saisie en cours.
cancelled = Annulé.
nothing-to-cancel = Il n'y a rien à annuler.
language-en = English
language-fr = Français
language-choose = Choisissez votre langue :
language-set = Le bot parle maintenant français.

## Menu des commandes
menu-find = Chercher des contacts
menu-new = Ajouter un contact
menu-settings = Paramètres
menu-language = Langue
menu-help = Ce que je sais faire
menu-cancel = Annuler la saisie en cours

## Recherche et filtres
search-prompt = Envoyez-moi un nom, un numéro de téléphone (tout format), un e-mail ou une entreprise.
search-nothing = Aucun résultat.
search-results-for = <b>Contacts correspondant à « { $query } »</b>
search-results-my = <b>Mes contacts</b>
search-results-all = <b>Tous les contacts</b>
search-outdated = Cette liste n'est plus à jour ; relancez la recherche.
filter-menu = <b>Filtres</b>
filter-my = Mes contacts
filter-all = Tous les contacts
filter-type = Type : { $name }
filter-by-responsible = Par responsable…
filter-choose-responsible = Les contacts de qui ?
filter-saved = ★ { $name }
filter-save = Enregistrer ce filtre
filter-save-prompt = Envoyez un nom pour ce filtre.
filter-saved-done = Filtre « { $name } » enregistré. Retrouvez-le dans Filtres.
filter-bin = Corbeille
bin-title = <b>Corbeille</b>
bin-line = • { $name } <code>#{ $id }</code>, supprimé le { $when }
bin-empty = La corbeille est vide.

## Boutons
btn-prev = ◀ Précédent
btn-next = Suivant ▶
btn-filters = Filtres
btn-edit = ✏️ Modifier
btn-link = 🔗 Lier entreprise/affaire
btn-deps = Dépendances
btn-history = Historique
btn-dups = Doublons
btn-delete = 🗑 Supprimer
btn-restore = ♻️ Restaurer
btn-restore-named = ♻️ { $name }
btn-back = ◀ Retour
btn-newer = ◀ Plus récent
btn-older = Plus ancien ▶
btn-open-named = Ouvrir { $name }
btn-merge-named = Fusionner { $name } ici
btn-merge-confirm = Oui, fusionner
btn-unmerge = Annuler la fusion
btn-delete-confirm = Oui, supprimer
btn-keep = Non, garder

## Fiche
card-in-bin = <i>Dans la corbeille depuis le { $when }.</i>
card-footer = <i>Créé le { $created } · modifié le { $updated }</i>
history-empty = Pas encore d'historique.
history-title = <b>Historique</b> (page { $page }, le plus récent d'abord)
history-line = <b>{ $when }</b> · { $who } · { $kind }
history-hidden-company = <i>une entreprise que vous ne pouvez pas voir</i>
history-hidden-deal = <i>une affaire que vous ne pouvez pas voir</i>
history-hidden-quote = <i>un devis que vous ne pouvez pas voir</i>
deps-title = <b>Dépendances</b>
deps-companies = Entreprises
deps-deals = Affaires
deps-quotes = Devis
deps-activities = Activités
dups-title = <b>Doublons possibles</b>
dups-none = Aucun doublon trouvé.
dup-reason-phone = • <b>{ $name }</b> <code>#{ $id }</code> a le même téléphone { $value }
dup-reason-email = • <b>{ $name }</b> <code>#{ $id }</code> a le même e-mail { $value }
dup-reason-name = • <b>{ $name }</b> <code>#{ $id }</code> a le même nom
dup-hidden = • un contact que vous ne pouvez pas ouvrir a le même { $reason }
dup-kind-phone = téléphone
dup-kind-email = e-mail
dup-reason-telegram = • <b>{ $name }</b> <code>#{ $id }</code> a le même nom d'utilisateur Telegram { $value }
dup-kind-telegram = nom d'utilisateur Telegram
dup-kind-name = nom
merge-confirm = Fusionner <b>{ $other }</b> <code>#{ $other_id }</code> dans <b>{ $keep }</b> <code>#{ $keep_id }</code> ? Ses téléphones, e-mails, liens et son historique sont déplacés ici ; les champs vides sont complétés. Vous pourrez annuler.
merge-done = Fusionné.
merge-done-text = Fusionné dans <code>#{ $id }</code>.
unmerge-done = Fusion annulée : { $ids } sont de retour.
delete-confirm = Mettre <b>{ $name }</b> à la corbeille ?
delete-done = Contact <code>#{ $id }</code> mis à la corbeille.
delete-done-short = Supprimé.
restore-done = Restauré.

## Fuseau horaire
timezone-change = 🕒 Fuseau horaire : { $zone }
timezone-prompt = Choisissez votre fuseau horaire, ou tapez-en un, par exemple <code>Asia/Tokyo</code>.
timezone-set = Fuseau horaire réglé sur <b>{ $zone }</b> : il est { $now }.

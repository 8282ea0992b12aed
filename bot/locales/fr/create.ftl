# Ajout de contacts : la saisie /new, /new en une ligne, contacts partagés, transferts, fichiers .vcf. HTML permis ; arguments échappés.

## La saisie pas à pas
new-dialog-intro = <b>Nouveau contact</b>. Répondez à chaque question, ou touchez Passer. Envoyez /cancel à tout moment pour arrêter.
new-question = <b>Nouveau contact</b> · { $step }/{ $total }
    <b>{ $field }</b> ?
new-hint-honorific = <i>Par exemple M., Mme, Dr, Mr, Mrs.</i>
new-hint-phones = <i>Dans n'importe quel format (06 12 34 56 78, +33 6 12 34 56 78) ; plusieurs sur des lignes séparées.</i>
new-hint-emails = <i>Plusieurs sur des lignes séparées ou séparés par des virgules.</i>
new-hint-websites = <i>Par exemple https://exemple.fr ; plusieurs sur des lignes séparées.</i>
new-hint-messengers = <i>Un nom d'utilisateur Telegram comme @jean_dupont ; plusieurs sur des lignes séparées.</i>
new-hint-company = <i>Le nom de l'entreprise : une entreprise existante que vous voyez est liée, sinon une nouvelle est créée.</i>
new-hint-date = <i>Une date comme 25/04/1990 ou 1990-04-25.</i>
new-hint-datetime = <i>Une date et une heure avec le fuseau horaire, comme 2026-05-01T10:00+02:00.</i>
new-hint-multiline = <i>Plusieurs lignes sont possibles.</i>
new-hint-choice = <i>Touchez un choix, ou tapez-le.</i>
new-hint-type = <i>Attendu : { $type }.</i>
new-answer-text = Envoyez la réponse en message, touchez un bouton, ou envoyez /cancel pour arrêter.
new-use-buttons = Touchez Enregistrer ou Annuler sous le récapitulatif, ou envoyez /cancel.
new-summary-title = <b>Nouveau contact</b> : vérifiez-le et enregistrez-le.
new-summary-empty = <i>Rien n'est encore rempli.</i>
new-saved = Contact enregistré.
new-cancelled = Le nouveau contact n'a pas été enregistré.
new-outdated = Ce bouton n'est plus à jour.

## Boutons
new-btn-skip = Passer ▶
new-btn-cancel = ✖ Annuler
new-btn-save = ✅ Enregistrer
new-btn-open = Ouvrir { $name }
new-btn-merge = Fusionner dans { $name }
new-btn-create = Créer quand même
new-btn-drop = Ne pas l'ajouter
new-btn-drop-all = N'ajouter aucun des { $count }

## Doublons
new-duplicate = <b>{ $draft }</b> ressemble à un contact que vous avez déjà :
new-duplicate-question = L'ouvrir, y fusionner les nouvelles informations (seuls les champs vides sont remplis), ou créer quand même un nouveau contact ?
new-duplicate-left = <i>{ $count } contacts du fichier attendent votre décision.</i>
new-merged = Fusionné dans <b>{ $name }</b> <code>#{ $id }</code>. Ajouté : { $fields }.
new-merged-nothing = <b>{ $name }</b> <code>#{ $id }</code> avait déjà tout cela ; rien n'a été modifié.
new-created-anyway = Créé comme nouveau contact.
new-created-short = <b>{ $name }</b> <code>#{ $id }</code> créé.
new-dropped = Non ajouté.
new-dropped-all = Non ajoutés : { $count } contacts.

## Une ligne, messages transférés, fichiers .vcf
new-oneline-hint = Par exemple : <code>/new Jean Dupont +33 6 12 34 56 78 jean@exemple.fr Acme</code>, ou envoyez /new seul pour répondre question par question.
new-forward-unsupported = Ce message vient d'un canal ou d'un groupe, pas d'une personne : il n'y a personne à ajouter. Transférez un message écrit par la personne.
new-vcard-too-big = Ce fichier dépasse 1 Mo. Découpez-le en fichiers plus petits.
new-vcard-broken = Ce fichier .vcf n'a pas pu être lu : { $reason }
new-vcard-summary = <b>{ $file }</b> : { $created } créés, { $duplicates } ressemblent à des contacts existants, { $invalid } n'ont pas pu être ajoutés.
new-vcard-created-line = • <b>{ $name }</b> <code>#{ $id }</code>
new-vcard-invalid-line = • fiche { $number } : { $reason }
new-vcard-more = …et { $count } de plus.

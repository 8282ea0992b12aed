# Partagé par tous les adaptateurs : mots, champs du contact, types de canaux, droits, historique, erreurs.
yes = oui
no = non
none = —

## Champs du contact
field-honorific = Civilité
field-first_name = Prénom
field-middle_name = Deuxième prénom
field-last_name = Nom
field-birthdate = Date de naissance
field-position = Poste
field-comment = Commentaire
field-type_id = Type
field-source_id = Source
field-source_description = Détails de la source
field-responsible_id = Responsable
field-observers = Observateurs
field-opened = Disponible pour tous
field-include_in_export = Inclure dans l'export
field-utm_source = Source UTM
field-utm_medium = Support UTM
field-utm_campaign = Campagne UTM
field-utm_content = Contenu UTM
field-utm_term = Terme UTM
field-phones = Téléphones
field-emails = E-mails
field-websites = Sites web
field-messengers = Messageries
field-companies = Entreprises
field-custom = Champs personnalisés
field-name = Nom
field-created_at = Créé
field-label = Libellé
field-title = Titre
field-options = Options
field-move_to = Déplacer vers
field-staff_id = Collaborateur
field-code = Code
field-role_id = Rôle
field-department_id = Département
field-file = Fichier
field-ttl = Validité
field-language = Langue
field-timezone = Fuseau horaire
field-others = Autres contacts
field-version = Version
field-updated_at = Modifié

## Types de valeur des canaux
vtype-WORK = travail
vtype-MOBILE = mobile
vtype-HOME = domicile
vtype-FAX = fax
vtype-OTHER = autre
vtype-TELEGRAM = Telegram
vtype-WHATSAPP = WhatsApp

## Types de champs personnalisés
ftype-string = texte (une ligne)
ftype-text = texte (plusieurs lignes)
ftype-integer = nombre entier
ftype-decimal = nombre
ftype-boolean = oui / non
ftype-date = date
ftype-datetime = date et heure
ftype-list = liste
ftype-url = lien
ftype-email = e-mail
ftype-phone = téléphone
ftype-staff = collaborateur

## Droits
action-read = Lire
action-add = Ajouter
action-edit = Modifier
action-delete = Supprimer
action-export = Exporter
action-import = Importer
level-0 = aucun
level-1 = les siens
level-2 = département
level-3 = département et sous-départements
level-4 = tous les ouverts
level-5 = tous

## Historique
history-created = création
history-changed = modification
history-linked = liaison
history-unlinked = déliaison
history-assigned = attribution
history-merged = fusion
history-unmerged = fusion annulée
history-deleted = suppression
history-restored = restauration
history-purged = suppression définitive
history-exported = export
history-activity_planned = activité planifiée
history-activity_done = activité terminée

## Erreurs
error-validation = Veuillez vérifier : { $details }
error-not_found = Introuvable : { $details }
error-permission_denied = Vous n'avez pas le droit de faire cela : { $details }
error-conflict = Impossible : { $details }
error-stale_edit = Quelqu'un d'autre a modifié cette fiche après que vous l'avez ouverte. Rien n'a été écrasé ; rouvrez-la et refaites votre modification.
error-duplicate = Ce contact semble déjà exister : { $details }
error-error = Impossible : { $details }
error-unexpected = Un problème est survenu de notre côté. Il a été journalisé ; veuillez réessayer.

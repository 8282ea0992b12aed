# /settings : types de contact, champs personnalisés, fiche, collaborateurs, départements, rôles, invitations.
# Le HTML est permis ; les arguments sont échappés.

## Menu
settings-title = <b>Paramètres</b>
    Choisissez ce que vous voulez régler.
settings-menu-types = Types de contact ({ $count })
settings-menu-fields = Champs personnalisés ({ $count })
settings-menu-layout = Disposition de la fiche
settings-menu-staff = Collaborateurs ({ $count })
settings-menu-departments = Départements ({ $count })
settings-menu-roles = Rôles et droits ({ $count })
settings-menu-invite = Lien d'invitation
settings-page = (page { $page } sur { $pages })
settings-outdated = Ce bouton appartient à une question close. Rouvrez /settings.
settings-use-buttons = Répondez avec les boutons ci-dessus, ou envoyez /cancel.

## Boutons
settings-btn-rename = ✏️ Renommer
settings-btn-up = ▲ Monter
settings-btn-down = ▼ Descendre
settings-btn-delete = 🗑 Supprimer
settings-btn-delete-confirm = Oui, supprimer
settings-btn-yes = Oui
settings-btn-no = Non
settings-btn-add-type = ➕ Ajouter un type
settings-btn-add-field = ➕ Ajouter un champ
settings-btn-add-section = ➕ Ajouter une section
settings-btn-add-role = ➕ Ajouter un rôle
settings-btn-add-department = ➕ Ajouter un département
settings-btn-hide = 🚫 Masquer
settings-btn-show = 👁 Afficher
settings-btn-move-to = → Déplacer vers « { $section } »
settings-btn-roles = Rôles
settings-btn-departments = Départements
settings-btn-deactivate = ⛔ Désactiver
settings-btn-deactivate-confirm = Oui, désactiver
settings-btn-reactivate = ♻️ Réactiver
settings-btn-settings-right = Peut modifier les paramètres
settings-btn-no-department = Aucun département
settings-btn-required = Obligatoire
settings-btn-multiple = Plusieurs valeurs
settings-btn-filter = Dans les filtres

## Types de contact
settings-types-title = <b>Types de contact</b> (dans l'ordre des listes)
settings-types-line = { $position }. <b>{ $name }</b> — { $count ->
        [one] { $count } contact
       *[other] { $count } contacts
    }
settings-types-empty = Il n'y a encore aucun type de contact.
settings-type = <b>{ $name }</b>
    Position { $position } sur { $total }, utilisé par { $count ->
        [one] { $count } contact
       *[other] { $count } contacts
    }.
settings-type-name-prompt = Envoyez le nom du nouveau type de contact (ou /cancel).
settings-type-added = Type de contact « { $name } » ajouté.
settings-type-rename-prompt = Envoyez le nouveau nom de « { $name } » (ou /cancel).
settings-type-renamed = Renommé.
settings-type-delete-confirm = Supprimer le type de contact <b>{ $name }</b> ? Aucun contact ne l'utilise.
settings-type-delete-move = { $count ->
        [one] { $count } contact utilise
       *[other] { $count } contacts utilisent
    } <b>{ $name }</b>. Quel type leur donner avant de le supprimer ?
settings-type-delete-no-target = { $count ->
        [one] { $count } contact utilise
       *[other] { $count } contacts utilisent
    } <b>{ $name }</b> et il n'y a aucun autre type à leur donner. Ajoutez d'abord un autre type.
settings-type-deleted = Type de contact « { $name } » supprimé.
settings-type-deleted-moved = Type de contact « { $name } » supprimé ; { $count ->
        [one] { $count } contact est
       *[other] { $count } contacts sont
    } maintenant « { $target } ».

## Champs personnalisés
settings-fields-title = <b>Champs personnalisés</b>
settings-fields-line = • <b>{ $label }</b> — { $type }{ $flags }
settings-fields-empty = Il n'y a encore aucun champ personnalisé.
settings-flag-required = obligatoire
settings-flag-multiple = plusieurs valeurs
settings-flag-filter = dans les filtres
settings-field = <b>{ $label }</b>
    Type : { $type }
    Code : <code>{ $code }</code>
    Obligatoire : { $required }
    Plusieurs valeurs : { $multiple }
    Dans les filtres : { $filter }
settings-field-options = Options : { $options }
settings-field-label-prompt = Envoyez le nom du nouveau champ, tel que les collaborateurs le verront sur les fiches (ou /cancel).
settings-field-type-prompt = Quel genre de valeur « { $label } » contient-il ? Son type ne pourra plus être changé.
settings-field-type-chosen = Type : <b>{ $type }</b>
settings-field-options-prompt = Envoyez les options de la liste, une par ligne.
settings-field-req-prompt = Le champ est-il obligatoire ?
settings-field-mul-prompt = Peut-il contenir plusieurs valeurs ?
settings-field-flt-prompt = L'afficher dans les filtres de recherche ?
settings-field-added = Champ ajouté. Il apparaît à la fin de la section « Plus » de la fiche.
settings-field-rename-prompt = Envoyez le nouveau nom de « { $label } » (ou /cancel).
settings-field-renamed = Renommé.
settings-field-delete-confirm = Supprimer le champ <b>{ $label }</b> ? Il disparaît des fiches et des formulaires ; les valeurs déjà saisies restent dans l'historique.
settings-field-deleted = Champ « { $label } » supprimé.

## Disposition de la fiche
settings-layout-title = <b>Disposition de la fiche</b>
    Les sections d'une fiche contact et leurs champs, dans l'ordre. Ouvrez une section pour masquer, déplacer ou réordonner ses champs.
settings-layout-hidden = 🚫 { $label }
settings-layout-more = { " " }… et { $count } de plus
settings-section-title = <b>{ $title }</b> : choisissez un champ.
settings-section-empty = Cette section n'a encore aucun champ ; déplacez-y des champs d'une autre section.
settings-layout-field = <b>{ $label }</b>
    Section « { $section } », position { $position } sur { $total }
    Masqué : { $hidden }
settings-section-prompt = Envoyez le titre de la nouvelle section de la fiche (ou /cancel).
settings-section-added = Section « { $title } » ajoutée.

## Collaborateurs et départements
settings-staff-title = <b>Collaborateurs</b>
settings-staff-line = • { $name }
settings-staff-line-admin = • { $name } — <i>administrateur</i>
settings-staff-line-inactive = • <s>{ $name }</s> — <i>désactivé</i>
settings-member = <b>{ $name }</b>  <code>{ $telegram_id }</code>
    Actif : { $active }
    Administrateur : { $admin }
    Rôles : { $roles }
    Départements : { $departments }
settings-member-roles = Rôles de <b>{ $name }</b> : touchez un rôle pour le donner ou le retirer. Le niveau le plus haut de tous ses rôles s'applique.
settings-member-departments = Départements de <b>{ $name }</b> : touchez pour ajouter ou retirer.
settings-member-deactivate-confirm = Désactiver <b>{ $name }</b> ? Cette personne ne pourra plus utiliser le bot ; ses contacts et l'historique restent.
settings-member-deactivated = { $name } est désactivé.
settings-member-reactivated = { $name } est de nouveau actif.
settings-departments-title = <b>Départements</b>
settings-departments-line = • { $name }
settings-departments-empty = Il n'y a encore aucun département.
settings-department-prompt = Envoyez le nom du nouveau département (ou /cancel).
settings-department-added = Département « { $name } » ajouté.

## Rôles
settings-roles-title = <b>Rôles</b>
settings-roles-line = • { $name }
settings-roles-line-settings = • { $name } — <i>peut modifier les paramètres</i>
settings-role-title = <b>{ $name }</b>
    Ce que ce rôle permet, pour chaque action :
settings-role-line = { $action } : <b>{ $level }</b>
settings-role-settings = Peut modifier les paramètres : <b>{ $allowed }</b>
settings-role-choose-level = <b>{ $name }</b> — { $action } : quels contacts ?
settings-role-name-prompt = Envoyez le nom du nouveau rôle (ou /cancel). Il commence sans aucun droit ; vous les réglez ensuite.
settings-role-added = Rôle « { $name } » ajouté. Choisissez ce qu'il permet.

## Invitations
settings-invite-role = <b>Lien d'invitation</b>
    Quel rôle le nouveau collaborateur recevra-t-il ?
settings-invite-department = Rôle <b>{ $role }</b>. Quel département rejoindra-t-il ?
settings-invite-done = Lien d'invitation pour le rôle <b>{ $role }</b> :
    { $link }
    Envoyez-le au nouveau collaborateur. Il ne sert qu'une fois et expire le { $expires }.
settings-invite-done-department = Lien d'invitation pour le rôle <b>{ $role }</b> dans <b>{ $department }</b> :
    { $link }
    Envoyez-le au nouveau collaborateur. Il ne sert qu'une fois et expire le { $expires }.

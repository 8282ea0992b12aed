# Formulaires web (F8) : l'alerte de prospect envoyée à l'équipe (texte brut : l'expéditeur l'échappe).
form-alert-new = Nouveau prospect via le formulaire « { $form } »
form-alert-twin = Nouveau prospect via le formulaire « { $form } » (il ressemble au contact #{ $id })
form-alert-merged = Doublon via le formulaire « { $form } » : fusionné dans #{ $id } { $name }
form-alert-replaced = Doublon via le formulaire « { $form } » : #{ $id } { $name } mis à jour avec ces valeurs
form-alert-name = Nom : { $value }
form-alert-phone = Téléphone : { $value }
form-alert-email = E-mail : { $value }
form-alert-website = Site web : { $value }
form-alert-telegram = Telegram : { $value }
form-alert-company = Entreprise : { $value }
form-alert-message = Message : { $value }
form-alert-utm = UTM : { $value }
form-alert-deal = Affaire : { $value }
form-alert-quote = Devis : { $value }
form-alert-open = Ouvrir
form-alert-take = Je le prends
# La ligne d'historique qu'une soumission laisse sur son contact.
field-web_form = Formulaire web
# Ce qu'un envoi anonyme changerait sur un contact connu, non écrit : Appliquer / Ignorer.
form-alert-proposal = Proposé, non appliqué :
form-alert-propose-field = { $field } : { $value }
form-alert-propose-now = (actuellement : { $value })
form-alert-propose-primary = { $kind ->
    [phones] Téléphone
    [emails] E-mail
    [websites] Site web
   *[other] Messagerie
}, comme principal : { $value }
form-alert-propose-add = { $kind ->
    [phones] Téléphone
    [emails] E-mail
    [websites] Site web
   *[other] Messagerie
}, ajouté : { $value }
form-alert-propose-message = Ajouter le message au commentaire
form-alert-apply = Appliquer
form-alert-ignore = Ignorer

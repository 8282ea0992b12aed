# Formulaires web : la page hébergée, le formulaire intégré et les réponses aux visiteurs. Les arguments sont échappés.

page-submit = Envoyer
page-sending = Envoi…
page-required-note = Les champs marqués d’un * sont obligatoires.
page-required = obligatoire
page-error-summary = Il y a un problème : vérifiez les champs ci-dessous.
page-error-prefix = Erreur :
page-consent-legend = Consentement
page-trap-label = Laissez ce champ vide
page-choose = Choisir…
page-sent-title = Merci
page-sent-default = Votre message a bien été envoyé. Nous vous répondrons bientôt.
page-back = Retour au formulaire
page-not-found-title = Formulaire introuvable
page-not-found = Ce formulaire n’existe pas ou n’est plus disponible.
page-error-title = Le formulaire n’a pas pu être envoyé
page-too-large = Le formulaire est trop volumineux pour être envoyé (1 Mio au plus).
page-timeout = Le formulaire a mis trop de temps à arriver : rien n’a été envoyé. Veuillez réessayer.
page-unsupported = Ce type de contenu ne peut pas être envoyé à un formulaire ; envoyez-le comme formulaire web ou en JSON.
page-malformed = Les données du formulaire sont illisibles.
page-malformed-json = Le corps n’est pas du JSON valide.
page-json-object = Le corps doit être un objet JSON de noms de champs et de valeurs.
page-bad-value = Cette valeur est illisible (objets imbriqués, caractères invalides ou nombre trop grand).
page-bad-idempotency-key = L’en-tête Idempotency-Key doit compter de 1 à 128 caractères ASCII visibles.
page-busy = Le même formulaire est en cours d’envoi ; réessayez dans une seconde.
page-origin-refused = Ce site ne peut pas utiliser ce formulaire.
page-key-refused = La clé du formulaire n’est pas valide.
page-key-reused = Cette Idempotency-Key a déjà servi avec un autre contenu ; envoyez une nouvelle clé pour un nouvel envoi.
page-status-key-missing = Envoyez la clé d’API du formulaire dans l’en-tête X-Carnet-Form-Key pour lire ses envois.
page-submission-not-found = Ce formulaire n’a pas d’envoi de ce numéro.
page-rejected = Le formulaire n’a pas pu être accepté.
page-network-error = Le formulaire n’a pas pu être envoyé. Vérifiez votre connexion et réessayez.
page-unavailable-title = Momentanément indisponible
page-unavailable = Nous ne pouvons pas recevoir votre message pour le moment. Veuillez réessayer dans quelques minutes.
page-unavailable-kept = Nous ne pouvons pas recevoir votre message pour le moment : il n’a pas été envoyé. Vos réponses sont conservées ci-dessous ; renvoyez-les dans quelques minutes.
page-rate-limited = Trop de messages ont été envoyés à l’instant. Veuillez réessayer dans { $seconds ->
        [one] 1 seconde.
       *[other] { $seconds } secondes.
    }
page-internal-error = Une erreur s’est produite de notre côté ; elle a été enregistrée. Veuillez réessayer plus tard.
page-unauthenticated = Cet envoi n’a pas été accepté : envoyez la clé d’API du formulaire dans l’en-tête X-Carnet-Form-Key, ou postez depuis l’une des origines autorisées du formulaire avec le jeton de la page (_token).

## Erreurs de champ (les raisons du noyau, dans les mots du visiteur)
page-error-required = { $label } : ce champ est obligatoire.
page-error-consent = Veuillez donner votre consentement pour envoyer le formulaire.
page-error-checked = { $label } : cette case doit être cochée.
page-error-option = { $label } : choisissez l’une des options.
page-error-one-value = { $label } : une seule valeur est acceptée.
page-error-phone = { $label } : ce numéro de téléphone n’est pas valide.
page-error-phone-country = { $label } : ajoutez l’indicatif du pays, par exemple +33.
page-error-email = { $label } : cette adresse e-mail n’est pas valide.
page-error-url = { $label } : cette adresse web n’est pas valide.
page-error-date = { $label } : saisissez une date comme 25/04/1990.
page-error-number = { $label } : saisissez un nombre comme 12,50.
page-error-too-long = { $label } : le texte est trop long.
page-error-other = { $label } : { $message }

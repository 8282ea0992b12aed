# Alertes de nouveaux prospects (envoyées par la file d'envoi) et « Je le prends ». HTML permis ; les arguments sont échappés.
lead-group-heading = { $count ->
    [one] <b>Un nouveau prospect</b>
   *[other] <b>{ $count } nouveaux prospects</b>
}
lead-btn-open = Ouvrir
lead-btn-take = ✋ Je le prends
lead-yours = C'est pour vous.
lead-taken-by = Déjà pris par { $name }.
lead-taken = Déjà pris.

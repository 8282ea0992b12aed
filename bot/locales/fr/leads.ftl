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
# Ce qu'un prospect propose à un contact connu (Appliquer / Ignorer sur son alerte).
lead-btn-apply = ✅ Appliquer
lead-btn-ignore = Ignorer
proposal-applied = ✅ Proposition appliquée à #{ $id } par { $name }.
proposal-ignored = Proposition pour #{ $id } ignorée par { $name }.
proposal-settled = Cette proposition a déjà été appliquée ou ignorée.

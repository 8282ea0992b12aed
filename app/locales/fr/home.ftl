# La petite page publique à GET /. Les arguments sont échappés.

home-title = Carnet
home-tagline = Le CRM de contacts de cette équipe.
home-forms = Formulaires de contact
home-no-forms = Aucun formulaire n’est ouvert pour le moment.
home-forms-unavailable = Les formulaires ne peuvent pas être affichés pour le moment ; réessayez dans quelques minutes.
home-staff = Équipe : ouvrez le bot dans Telegram, { $bot }.
home-staff-no-bot = Équipe : le bot Telegram n’est pas connecté pour le moment.
home-version = Carnet { $version }

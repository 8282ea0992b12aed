# The small public page at GET /. Arguments are escaped.

home-title = Carnet
home-tagline = The contacts CRM of this team.
home-forms = Contact forms
home-no-forms = No form is open at the moment.
home-forms-unavailable = The forms cannot be listed right now; please try again in a few minutes.
home-staff = Staff: open the bot in Telegram, { $bot }.
home-staff-no-bot = Staff: the Telegram bot is not connected at the moment.
home-version = Carnet { $version }

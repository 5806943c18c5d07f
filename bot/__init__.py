"""devops-bot: settings, App auth, clients, queue, pipeline engine, publishers and reporters."""

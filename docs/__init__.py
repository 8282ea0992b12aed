"""Documentation tooling: the README screenshots are made by `python -m docs.screenshots`."""

"""`python -m app` runs the `carnet` CLI."""

from app.cli import main

raise SystemExit(main())

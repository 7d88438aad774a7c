"""``python -m wtb``: the CLI."""

from wtb.cli import main

raise SystemExit(main())

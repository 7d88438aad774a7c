"""``python -m wtb.lsp``: the daemon over stdio (``--tcp`` for a socket on 127.0.0.1)."""

import sys

from wtb.lsp.main import main

sys.exit(main())

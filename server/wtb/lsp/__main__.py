"""``python -m wtb.lsp``: the daemon over stdio (``--tcp`` for a socket on 127.0.0.1)."""

import sys

from wtb.lsp.server import main

sys.exit(main())

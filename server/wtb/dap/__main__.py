"""``python -m wtb.dap``: the debug adapter over stdio (``wtb dap``)."""

import sys

from wtb.dap.main import main

sys.exit(main())

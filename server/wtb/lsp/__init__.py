"""The WTB daemon: a pygls language server speaking LSP plus the ``wtb/*`` protocol.

Start it with ``wtb serve`` or ``python -m wtb.lsp``; see ``docs/protocol.md``.
"""

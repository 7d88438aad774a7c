"""The debug adapter: WTB's time-travel debugger behind VS Code's own debugging UI.

A face beside the CLI and the daemon, it speaks the Debug Adapter Protocol over stdio
(``python -m wtb.dap``, ``wtb dap``) and drives the SDK: breakpoints on node functions are
pause points before those nodes, Step Over runs one super-step, Step Back rolls the
execution (state and files) back to the previous checkpoint. See ``docs/debugging.md``.
"""

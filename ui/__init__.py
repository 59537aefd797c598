"""PA Desk's Qt desktop client.

This package file must stay free of PySide6 imports: the command line imports ``ui``
for commands that never open a window. The GUI starts with :func:`ui.app.run_gui`.
"""

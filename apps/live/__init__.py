"""The live display of ``rtast listen``: a PySide6 + pyqtgraph window over a running Listener.

Threads: a worker runs ``Listener.run`` (``runner.LiveRunner``); its sink (``state.LiveState``)
copies what the display needs under a lock; the GUI thread takes a snapshot on a timer and never
calls the model or waits for audio. Modules without Qt (state, frames, intervals, status,
inputs, availability) import without PySide6; the views and the window need it.
"""

"""Tagging video files: the tagger (windows -> probabilities -> segments), many files with progress and resume,
fast inference paths, and the outputs (text formats, the HTML page, the PNG plot)."""

"""The web side, in files: Jinja2 templates and static CSS / JS modules shared by `tubelet serve` (served as they
are) and `tag --format html` (the same stylesheet and modules inlined into one self-contained page)."""

"""`tubelet serve`: the library in a browser (app.py: routes and the JSON API; pages.py: the two HTML pages)."""

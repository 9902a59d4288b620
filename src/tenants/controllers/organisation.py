"""(filled in below)"""

ROUTES: list[object] = []

"""The subscriptions domain's services: the catalogue and subscriptions (subscriptions.py) and
the charges that follow a certificate (charges.py)."""

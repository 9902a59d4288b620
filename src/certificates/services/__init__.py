"""The rules of the certificates domain, one module per part; the only code that writes."""

"""The rules of the tenant domain, one module per subject:
`organisations` (vendor admins), `users` (contact persons and end users), `people`."""

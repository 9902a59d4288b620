"""Every query of the certificates domain's tenant-owned rows (and of the memberships it reads),
outside the system modules named in tests/test_tenancy_structure.py. Reads start from
`readable(actor, ...)` or a `TenantScope`; writes take the scope or the actor that read the row."""

"""Every query of the tenant domain's tenant-owned rows: memberships (`memberships.py`), rights
per module (`rights.py`), agreement acceptances (`agreements.py`) and user requests
(`requests.py`).

Reads start from a `TenantScope` (the organisation an actor may act for: another one answers
NotFound) or from `readable(actor, ...)` (every organisation's rows for a vendor admin, the
actor's own organisation's otherwise). Writes take the TenantScope of the organisation whose
rows they change. The two exceptions say so where they are: a person reads their own invitations
across organisations (like their memberships at sign-in), and the vendor admins' search of people
across organisations. Services decide; they call these functions and never query those tables
themselves (tests/test_tenancy_structure.py)."""

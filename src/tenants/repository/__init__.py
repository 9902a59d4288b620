"""Every query of the tenant domain's tenant-owned rows: memberships (`memberships.py`), rights
per module (`rights.py`), agreement acceptances (`agreements.py`), user requests (`requests.py`)
and the reads of sign-in (`sign_in.py`: a person's memberships, the actor's organisation).

Reads start from a `TenantScope` (the organisation an actor may act for: another one answers
NotFound) or from `readable(actor, ...)` (every organisation's rows for a vendor admin, the
actor's own organisation's otherwise). Writes take the TenantScope of the organisation whose
rows they change. The exceptions say so where they are: a person reads their own memberships
and invitations across organisations (at sign-in), and the vendor admins' search of people
across organisations. Services decide; they call these functions and never query those tables
themselves (tests/test_tenancy_structure.py)."""

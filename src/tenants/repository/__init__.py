"""Every query of the tenant domain's tenant-owned tables (tests/test_tenancy_structure.py)."""

"""The dashboard's services: the audit log (audit.py, its CSV audit_csv.py, its labels
labels.py), the mail catcher and failed deliveries (mail.py), the vendor admins' desk (desk.py)
and an organisation's data export (export.py)."""

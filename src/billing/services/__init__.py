"""The billing domain's services: what a period costs (proration), invoice numbers, billing runs."""

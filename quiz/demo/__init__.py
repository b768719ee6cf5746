"""First-start setup and the demo data generators."""

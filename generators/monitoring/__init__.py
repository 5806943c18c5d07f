"""Monitoring setup generators (SPEC section 3): pure functions from a MonitoringPlan to files."""

"""Enterprises (单位), departments, staff rosters (花名册), accounts: rules and pages."""

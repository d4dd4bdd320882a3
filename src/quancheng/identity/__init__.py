"""Departments, users, roles, API tokens, sessions and permission checks."""

"""The sharing exchange: requests, decisions, grants, enforced reads, disputes, metrics."""

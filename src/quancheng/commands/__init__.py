"""Command groups of the `quancheng` CLI, one module per domain."""

"""The verifiable ledger: a Merkle transparency log with signed, co-signed checkpoints."""

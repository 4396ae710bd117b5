"""What an operator sees: request ids, JSON logs, Prometheus metrics (docs/operations.md)."""

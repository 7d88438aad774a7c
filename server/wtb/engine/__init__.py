"""Application layer: loading workflows, running them, rollback and fork."""

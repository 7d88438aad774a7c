"""WTB's benchmarks: each row is WTB against a baseline measured in the same run."""

"""Ratebook: Lago-compatible usage-based billing as a batch data pipeline."""

"""Shard-level work after download: image hashes, dedup and filters, rewriting, resharding."""

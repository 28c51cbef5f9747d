"""Filters over manifests: dedup, language, caption quality, WIT query matching and balancing."""

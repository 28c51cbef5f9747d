"""On-disk layouts: one module per kind of directory wit reads and writes, owning its names and predicates."""

"""X12 5010 (and tolerant 4010) files: a segment reader and typed 835/271 mappers."""

"""A/B experiments: arms with their own recommendation settings, deterministic assignment,
exposures recorded off the request path, conversions attributed at results time."""

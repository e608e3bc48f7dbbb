"""The HTTP edge: middleware, health probes and the request's database session."""

"""Events: what happened, published once and broadcast to subscribers."""

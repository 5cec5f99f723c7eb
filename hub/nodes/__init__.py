"""Nodes: the registry, enrolment, suspension, reachability, signatures and nonces, the node API."""

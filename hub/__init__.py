"""The simpul hub: the nodes, forwarding, federated reads and the index, the SLA, events, and the doors to them."""

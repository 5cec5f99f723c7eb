"""Node connectors: the Connector contract, the node server, one package per kind."""

"""The `simpul` command: the top layer, the only code that imports both hub/ and connectors/."""

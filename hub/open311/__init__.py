"""The hub's Open311 GeoReport v2 facade: existing Open311 clients submit to and read from the federation."""

"""PostgreSQL for hub and connectors: embedded server, pool, migrations."""

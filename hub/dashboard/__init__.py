"""The compliance dashboard at /dashboard: a static page over /graphql, and the annual report downloads."""

"""The simpul hub: node registry, enrolment, federated GraphQL queries."""

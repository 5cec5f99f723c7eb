"""The hub's public GraphQL API (`schema/hub.graphql`)."""

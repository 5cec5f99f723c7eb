// A second subgraph, as an Ombudsman system could run one: it adds to simpul's Report the case opened
// about it, and its cases point back to simpul's reports (which the gateway fetches from simpul's _entities).
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import gql from "graphql-tag";

const typeDefs = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

  type Report @key(fields: "id") {
    id: ID!
    ombudsmanCase: OmbudsmanCase!
  }

  type OmbudsmanCase {
    number: String!
    report: Report
  }

  type Query {
    ombudsmanCase(reportId: ID!): OmbudsmanCase!
  }
`;

const caseOf = (reportId) => ({ number: `ORI-${reportId}`, reportId });

const resolvers = {
  Query: { ombudsmanCase: (_, { reportId }) => caseOf(reportId) },
  Report: { __resolveReference: ({ id }) => ({ id }), ombudsmanCase: ({ id }) => caseOf(id) },
  OmbudsmanCase: { report: ({ reportId }) => ({ __typename: "Report", id: reportId }) },
};

const server = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs, resolvers }) });
const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port: 0 } });
console.log(`ombudsman subgraph listening on ${url}`);

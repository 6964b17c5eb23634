import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/adapters/dynalite';

/** A document client for a local endpoint that records the name of every command it sends (round trips, counted). */
export function countedClient(endpoint: string): { client: DynamoDBDocumentClient; sent: string[] } {
  const client = documentClient(endpoint);
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return { client, sent };
}

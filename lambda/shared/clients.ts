import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';

/** Bounded timeouts and retries for every call a handler makes. */
export interface CallBounds {
  /** Per-request timeout, ms. */
  readonly requestTimeoutMs: number;
  /** Retries after the first attempt. */
  readonly maxRetries: number;
}

/** An OpenSearch client for a VPC domain endpoint, signing every request with SigV4 (`es`). */
export function createSearchClient(endpoint: string, region: string, bounds: CallBounds): Client {
  const credentials = defaultProvider();
  return new Client({
    ...AwsSigv4Signer({ region, service: 'es', getCredentials: () => credentials() }),
    node: endpoint.startsWith('https://') ? endpoint : `https://${endpoint}`,
    requestTimeout: bounds.requestTimeoutMs,
    maxRetries: bounds.maxRetries,
  });
}

/** A Bedrock runtime client with bounded connection/request timeouts and adaptive retries. */
export function createBedrockClient(region: string, bounds: CallBounds): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region,
    maxAttempts: bounds.maxRetries + 1,
    retryMode: 'adaptive',
    requestHandler: { connectionTimeout: 1_000, requestTimeout: bounds.requestTimeoutMs },
  });
}

import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';

/** A Bedrock mock answering every Titan V2 call with a vector derived from the input's length. */
export function mockTitan(dimensions: number) {
  const mock = mockClient(BedrockRuntimeClient);
  mock.on(InvokeModelCommand).callsFake((input: { body: string }) => {
    const { inputText } = JSON.parse(input.body) as { inputText: string };
    const vector = Array.from({ length: dimensions }, (_, i) => (inputText.length + i) / 1000);
    return { body: new TextEncoder().encode(JSON.stringify({ embedding: vector, inputTextTokenCount: 3 })) };
  });
  return mock;
}

/** A Bedrock client error with the service's error name. */
export function bedrockError(name: string): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: 429 } });
}

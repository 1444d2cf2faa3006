import { App, type AppProps } from 'aws-cdk-lib';
import cdkJson from '../../cdk.json';

/**
 * An App with the same feature flags as `cdk synth` (read from cdk.json), so that tests assert
 * on the templates the CLI would produce.
 */
export function testApp(context: Record<string, unknown> = {}, props: Omit<AppProps, 'context'> = {}): App {
  return new App({ ...props, context: { ...cdkJson.context, ...context } });
}

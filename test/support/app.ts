import { App, type AppProps } from 'aws-cdk-lib';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import cdkJson from '../../cdk.json';

/**
 * Context that makes a test app bundle Lambda assets for real (esbuild), as `cdk synth` does.
 * Pass it to {@link testApp} in the tests that check bundling itself (see docs/adr/0003).
 */
export const REAL_BUNDLING: Readonly<Record<string, unknown>> = { [BUNDLING_STACKS]: ['**'] };

/**
 * An App with the same feature flags as `cdk synth` (read from cdk.json), so that tests assert
 * on the templates the CLI would produce.
 *
 * One difference, on purpose: asset bundling is off (`aws:cdk:bundling-stacks` is `[]`), so a
 * `PavedRoadFunction` does not run esbuild and its asset is the unbundled project directory.
 * Templates are the same except for Lambda asset hashes. Tests that check bundling pass
 * {@link REAL_BUNDLING}. See docs/adr/0003.
 */
export function testApp(context: Record<string, unknown> = {}, props: Omit<AppProps, 'context'> = {}): App {
  return new App({ ...props, context: { ...cdkJson.context, [BUNDLING_STACKS]: [], ...context } });
}

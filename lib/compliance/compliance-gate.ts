import * as path from 'node:path';
import { App, Aspects, type IPolicyValidationPlugin, Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks, WriteNagSuppressionsToCloudFormationAspect } from 'cdk-nag';
import { PavedRoadError } from '../core/errors';
import { CachedCfnGuardValidator } from './cached-guard-validator';
import { PavedRoadChecks } from './paved-road-checks';

/** Where cfn-guard verdicts are cached unless the options say otherwise. */
export const DEFAULT_GUARD_CACHE_DIRECTORY = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'paved-road-cfn-guard');

/** Options for {@link ComplianceGate.apply}. */
export interface ComplianceGateOptions {
  /**
   * Run the Control Tower proactive controls through cfn-guard.
   *
   * Only construct-level unit tests turn this off, because they assert on one construct and
   * the app-level compliance test runs cfn-guard over every environment anyway.
   * @default true
   */
  readonly controlTowerControls?: boolean;
  /**
   * Directory that caches cfn-guard verdicts per distinct template (see CachedCfnGuardValidator);
   * `null` evaluates every template afresh. The environment variable
   * `PAVED_ROAD_GUARD_CACHE=off` does the same without a code change.
   * @default DEFAULT_GUARD_CACHE_DIRECTORY (node_modules/.cache/paved-road-cfn-guard)
   */
  readonly guardCacheDirectory?: string | null;
  /**
   * Include each rule's explanation in the report.
   * @default false
   */
  readonly verbose?: boolean;
}

/**
 * The compliance gate: every rule pack paved-road promises, registered once on the app.
 *
 * cdk-nag AwsSolutions, HIPAA Security, NIST 800-53 rev 5, PCI DSS 3.2.1 and Serverless; the
 * Control Tower proactive controls (cfn-guard); and {@link PavedRoadChecks}. Any finding that is
 * not acknowledged with {@link acknowledgeFinding} fails synthesis.
 */
export class ComplianceGate {
  /** Plugin names, in report order; the finding-id namespace of each. */
  public static readonly PLUGIN_NAMES = ['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321', 'Serverless', 'PavedRoad', 'cdk-validator-cfnguard'];

  /**
   * Registers the gate on an app. Call once, in bin/, after the stages are created and before
   * synthesis.
   * @throws PavedRoadError if `app` is not an App: stage- or stack-level gates miss resources
   */
  public static apply(app: App, options: ComplianceGateOptions = {}): void {
    if (!App.isApp(app)) {
      throw new PavedRoadError('ComplianceGate.apply: pass the App; a gate on a stage or stack would leave other stages unchecked');
    }
    const verbose = options.verbose ?? false;
    const plugins: IPolicyValidationPlugin[] = [
      new AwsSolutionsChecks(app, { verbose }),
      new HIPAASecurityChecks(app, { verbose }),
      new NIST80053R5Checks(app, { verbose }),
      new PCIDSS321Checks(app, { verbose }),
      new ServerlessChecks(app, { verbose }),
      new PavedRoadChecks(app, { verbose }),
    ];
    // Records every acknowledgment, whichever plugin it is for, in the template metadata
    // (`cdk_nag.rules_to_suppress`). Aspects stop at stage boundaries, so each stage gets one;
    // the packs' own `writeSuppressionsToCloudFormation` would register it on the app only.
    for (const scope of [app, ...app.node.findAll().filter(Stage.isStage)]) {
      Aspects.of(scope).add(new WriteNagSuppressionsToCloudFormationAspect());
    }
    if (options.controlTowerControls ?? true) {
      const cacheOff = options.guardCacheDirectory === null || process.env.PAVED_ROAD_GUARD_CACHE === 'off';
      plugins.push(new CachedCfnGuardValidator({ cacheDirectory: cacheOff ? undefined : options.guardCacheDirectory ?? DEFAULT_GUARD_CACHE_DIRECTORY }));
    }
    Validations.of(app).addPlugins(...plugins);
  }

  private constructor() {}
}

import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, type IPolicyValidationPlugin, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { PavedRoadError } from '../core/errors';
import { PavedRoadChecks } from './paved-road-checks';

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
   * Registers the gate on an app. Call once, in bin/, before synthesis.
   * @throws PavedRoadError if `app` is not an App: stage- or stack-level gates miss resources
   */
  public static apply(app: App, options: ComplianceGateOptions = {}): void {
    if (!App.isApp(app)) {
      throw new PavedRoadError('ComplianceGate.apply: pass the App; a gate on a stage or stack would leave other stages unchecked');
    }
    const verbose = options.verbose ?? false;
    const plugins: IPolicyValidationPlugin[] = [
      // Only one pack writes the acknowledgment metadata: the aspect copies every acknowledgment,
      // whichever plugin it is for, so registering it per pack would only repeat the work.
      new AwsSolutionsChecks(app, { verbose, writeSuppressionsToCloudFormation: true }),
      new HIPAASecurityChecks(app, { verbose }),
      new NIST80053R5Checks(app, { verbose }),
      new PCIDSS321Checks(app, { verbose }),
      new ServerlessChecks(app, { verbose }),
      new PavedRoadChecks(app, { verbose }),
    ];
    if (options.controlTowerControls ?? true) {
      plugins.push(new CfnGuardValidator());
    }
    Validations.of(app).addPlugins(...plugins);
  }

  private constructor() {}
}

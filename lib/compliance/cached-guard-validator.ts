import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnGuardValidator, type CfnGuardValidatorProps } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, PolicyViolation } from 'aws-cdk-lib';

const GUARD_PACKAGE_DIR = path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));

/** Properties of a {@link CachedCfnGuardValidator}. */
export interface CachedCfnGuardValidatorProps extends CfnGuardValidatorProps {
  /**
   * Directory for cached per-template results; `undefined` disables the cache.
   * @default - no cache
   */
  readonly cacheDirectory?: string;
}

/** Hash of every input that decides cfn-guard's verdict except the template itself. */
function rulesFingerprint(props: CfnGuardValidatorProps, version: string): string {
  const hash = createHash('sha256').update(version).update(JSON.stringify(props.disabledRules ?? [])).update(String(props.controlTowerRulesEnabled ?? true));
  const visit = (file: string): void => {
    if (fs.statSync(file).isDirectory()) {
      for (const child of fs.readdirSync(file).sort()) visit(path.join(file, child));
    } else {
      hash.update(file).update(fs.readFileSync(file));
    }
  };
  visit(path.join(GUARD_PACKAGE_DIR, 'rules'));
  for (const rule of props.rules ?? []) visit(rule);
  return hash.digest('hex');
}

/**
 * The Control Tower proactive controls through cfn-guard, evaluated once per distinct template.
 *
 * cfn-guard is the slowest plugin of the gate and its verdict depends only on the template, the
 * rules and the guard version. This plugin keeps the per-template verdict under a hash of all three,
 * so `npm test` after `npm run synth`, or a second synth of an unchanged environment, does not pay
 * for the same evaluation again. Every control still runs on every template that changed. The
 * plugin keeps the upstream name, so acknowledgments use the same `cdk-validator-cfnguard::` ids.
 */
export class CachedCfnGuardValidator implements IPolicyValidationPlugin {
  public readonly name: string;
  public readonly version?: string;
  public readonly ruleIds?: string[];
  private readonly guard: CfnGuardValidator;
  private readonly cacheDirectory?: string;
  private readonly fingerprintProps: CfnGuardValidatorProps;
  private fingerprint?: string;

  constructor(props: CachedCfnGuardValidatorProps = {}) {
    const { cacheDirectory, ...guardProps } = props;
    this.guard = new CfnGuardValidator(guardProps);
    this.name = this.guard.name;
    this.version = this.guard.version;
    this.ruleIds = this.guard.ruleIds;
    this.cacheDirectory = cacheDirectory;
    this.fingerprintProps = guardProps;
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const byTemplate = new Map<string, PolicyViolation[]>();
    const misses: string[] = [];
    for (const templatePath of context.templatePaths) {
      const cached = this.readCache(templatePath);
      if (cached) byTemplate.set(templatePath, cached);
      else misses.push(templatePath);
    }
    if (misses.length > 0) {
      const report = this.guard.validate({ ...context, templatePaths: misses });
      const fresh = splitByTemplate(report.violations as PolicyViolation[], misses);
      for (const templatePath of misses) {
        byTemplate.set(templatePath, fresh.get(templatePath) ?? []);
        this.writeCache(templatePath, fresh.get(templatePath) ?? []);
      }
    }
    // cfn-guard reports no severity. aws-cdk-lib recomputes `success` after applying
    // acknowledgments from the severities alone, so without one an unacknowledged guard finding
    // would pass synthesis as soon as any other guard finding of the app is acknowledged.
    const violations = [...byTemplate.values()].flat().map((violation) => ({ ...violation, severity: violation.severity ?? 'error' }));
    return { success: violations.length === 0, violations };
  }

  private cacheFile(templatePath: string): string | undefined {
    if (!this.cacheDirectory) return undefined;
    this.fingerprint ??= rulesFingerprint(this.fingerprintProps, this.version ?? '');
    const key = createHash('sha256').update(this.fingerprint).update(fs.readFileSync(templatePath)).digest('hex');
    return path.join(this.cacheDirectory, `${key}.json`);
  }

  private readCache(templatePath: string): PolicyViolation[] | undefined {
    const file = this.cacheFile(templatePath);
    if (!file || !fs.existsSync(file)) return undefined;
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as PolicyViolation[];
    return stored.map((violation) => ({
      ...violation,
      violatingResources: violation.violatingResources.map((resource) => ({ ...resource, templatePath })),
    }));
  }

  private writeCache(templatePath: string, violations: PolicyViolation[]): void {
    const file = this.cacheFile(templatePath);
    if (!file) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Write-then-rename keeps parallel jest workers from reading a half-written entry.
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(violations));
    fs.renameSync(temporary, file);
  }
}

/** Splits guard violations into one list per template, each listing only that template's resources. */
function splitByTemplate(violations: PolicyViolation[], templatePaths: string[]): Map<string, PolicyViolation[]> {
  const result = new Map<string, PolicyViolation[]>();
  const resolve = (p: string | undefined): string | undefined => templatePaths.find((t) => p !== undefined && path.resolve(t) === path.resolve(p));
  for (const violation of violations) {
    const grouped = new Map<string, typeof violation.violatingResources[number][]>();
    for (const resource of violation.violatingResources) {
      const templatePath = resolve(resource.templatePath) ?? templatePaths[0];
      grouped.set(templatePath, [...(grouped.get(templatePath) ?? []), resource]);
    }
    for (const [templatePath, resources] of grouped) {
      result.set(templatePath, [...(result.get(templatePath) ?? []), { ...violation, violatingResources: resources }]);
    }
  }
  return result;
}

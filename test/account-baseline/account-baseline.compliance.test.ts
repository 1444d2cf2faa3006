import { AccountBaselineStage, ComplianceGate, readCompliance, reasonProblem, ResidencyZone } from '../../lib';
import { testApp } from '../support/app';

describe('AccountBaseline compliance', () => {
  const app = testApp();
  AccountBaselineStage.forPlans(app, [
    { account: '333333333333', region: 'ap-south-1', zone: ResidencyZone.IN, environments: ['in-prod'], apiGatewayCloudWatchRole: true, openSearchServiceLinkedRole: true },
    { account: '333333333333', region: 'ap-south-2', zone: ResidencyZone.IN, environments: ['in-dr'], apiGatewayCloudWatchRole: true, openSearchServiceLinkedRole: false },
  ]);
  ComplianceGate.apply(app);
  let assemblyDirectory: string;

  it('synthesizes both regions\' baselines through every rule pack and cfn-guard with no open finding', () => {
    expect(() => { assemblyDirectory = app.synth().directory; }).not.toThrow();
  });

  it('acknowledges only the AWS managed policy that API Gateway prescribes, with a specific reason', () => {
    const acknowledged = readCompliance(assemblyDirectory).flatMap((stack) => stack.acknowledgments
      .filter((ack) => !ack.findingId.startsWith('CloudFormation-Validate::'))
      .map((ack) => ({ region: stack.region, resourceType: ack.resourceType, id: ack.findingId, problem: reasonProblem(ack.reason) })));
    expect(acknowledged).toEqual(['ap-south-1', 'ap-south-2'].map((region) => ({
      region,
      resourceType: 'AWS::IAM::Role',
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      problem: undefined,
    })));
  });
});

import { type EnvironmentSpec, ResidencyZone, Stage } from '../lib';

/**
 * The environments this installation deploys. Platform teams edit this list: one entry per
 * environment, with the account it deploys into, its region, residency zone and stage.
 * The account ids below are placeholders; replace them with your own.
 */
export const ENVIRONMENTS: EnvironmentSpec[] = [
  { name: 'eu-prod', account: '111111111111', region: 'eu-central-1', zone: ResidencyZone.EU, stage: Stage.PROD },
  { name: 'eu-dev', account: '222222222222', region: 'eu-west-1', zone: ResidencyZone.EU, stage: Stage.DEV },
  { name: 'in-prod', account: '333333333333', region: 'ap-south-1', zone: ResidencyZone.IN, stage: Stage.PROD },
  { name: 'us-prod', account: '444444444444', region: 'us-east-1', zone: ResidencyZone.US, stage: Stage.PROD },
];

import type { LakeReplication } from './replication';

/** The replications a {@link DataLakeReplicaStack} was created for; read by DataLake's synth-time check. */
const DEPLOYED_REPLICATIONS = new WeakMap<LakeReplication, object>();

/** Records that `replicaStack` creates the destination buckets of `replication`. */
export function recordReplicaStack(replication: LakeReplication, replicaStack: object): void {
  DEPLOYED_REPLICATIONS.set(replication, replicaStack);
}

/** The stack that creates the destination buckets of `replication`, if any. */
export function replicaStackOf(replication: LakeReplication): object | undefined {
  return DEPLOYED_REPLICATIONS.get(replication);
}

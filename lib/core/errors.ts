/**
 * A configuration error a platform or product team can fix.
 *
 * The message always names what is wrong, the offending value and how to fix it,
 * so it reads well as the only line of a failed `cdk synth`.
 */
export class PavedRoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PavedRoadError';
  }
}

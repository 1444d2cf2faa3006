import * as z from 'zod/mini';
import './zod-messages';

/** Reads and validates the environment variables a handler needs; fails the cold start otherwise. */
export function readEnv<T extends z.core.$ZodShape>(shape: T, env: NodeJS.ProcessEnv = process.env): z.infer<z.ZodMiniObject<T>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    throw new Error(`invalid function configuration: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}

/** A non-empty string. */
export const nonEmpty = () => z.string().check(z.minLength(1));

/** A string holding an integer of at least `min`, as environment variables and CloudFormation properties carry numbers. */
export const coercedInt = (min: number) => z.pipe(z.coerce.number(), z.int().check(z.gte(min)));

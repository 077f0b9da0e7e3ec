/** A failure the dev scripts explain in one line, without a stack trace. */
export class DevError extends Error {
  override name = 'DevError';
}

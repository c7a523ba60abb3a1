/** An API error as the API server returns it: a metav1.Status with a code and a reason. */
export class ApiStatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
  }
}

export const notFoundError = (resource: string, name: string) => new ApiStatusError(404, 'NotFound', `${resource} "${name}" not found`);
export const conflictError = (resource: string, name: string) =>
  new ApiStatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
  );
export const alreadyExistsError = (resource: string, name: string) => new ApiStatusError(409, 'AlreadyExists', `${resource} "${name}" already exists`);
export const goneError = (rv: number) => new ApiStatusError(410, 'Expired', `too old resource version: ${rv}`);

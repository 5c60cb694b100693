/**
 * Why a token was refused. `keys_unavailable` is not the token's fault: the identity provider's
 * keys could not be fetched (or used), so the token could not be checked at all.
 */
export type TokenProblem =
  | 'missing'
  | 'malformed'
  | 'expired'
  | 'bad_signature'
  | 'bad_claims'
  | 'keys_unavailable';

export class TokenError extends Error {
  constructor(
    readonly problem: TokenProblem,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'TokenError';
  }
}

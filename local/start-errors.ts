/** Why `npm start` stopped before listening; `local/main.ts` prints the message as it is, without a stack trace. */
export type LocalStartCode =
  | 'DATA_FOLDER_IN_USE'
  | 'DATA_FOLDER_DAMAGED'
  | 'DATA_FOLDER_UNREADABLE'
  | 'SECRETS_UNREADABLE'
  | 'SECRETS_INVALID'
  | 'PORT_IN_USE';

export class LocalStartError extends Error {
  constructor(
    readonly code: LocalStartCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LocalStartError';
  }
}

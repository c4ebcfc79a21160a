/**
 * Secret header values encrypted at rest (AES-256-GCM) with a key kept in TAILOR_HOME/secrets.key
 * (32 random bytes, mode 0600, made on first use). SKELETON: the store helper implements it.
 */
export class SecretBox {
  constructor(readonly home: string) {}

  /** base64 of iv | tag | ciphertext. */
  seal(_plain: string): string {
    throw new Error("SecretBox.seal: not implemented yet");
  }

  open(_sealed: string): string {
    throw new Error("SecretBox.open: not implemented yet");
  }
}

import type { AuditLog } from "./audit.ts";
import type { ApiKey, CreateKeyOptions, KeyStore } from "./keys.ts";

/**
 * Key changes made by this machine's admin (the CLI: whoever can read TAILOR_HOME), each stored
 * with its audit entry in one transaction: both or neither.
 */
export class KeyAdmin {
  constructor(
    private readonly keys: KeyStore,
    private readonly audit: AuditLog,
    /** Who acts (the OS user) and through what (`cli`). */
    private readonly actor: { owner: string; client: string },
  ) {}

  create(opts: CreateKeyOptions): { key: string; record: ApiKey } {
    return this.keys.db.transaction(() => {
      const made = this.keys.create(opts);
      const { name, owner, role } = made.record;
      this.log("keys.create", made.record.id, { name, owner, role });
      return made;
    })();
  }

  revoke(id: string): ApiKey {
    return this.keys.db.transaction(() => {
      const key = this.keys.revoke(id);
      this.log("keys.revoke", id, { name: key.name, owner: key.owner });
      return key;
    })();
  }

  private log(action: string, target: string, details: Record<string, unknown>): void {
    this.audit.append({
      keyId: null,
      owner: this.actor.owner,
      role: "admin",
      action,
      target,
      result: "ok",
      client: this.actor.client,
      details,
    });
  }
}

/**
 * Moderation policies in TAILOR_HOME's database: unique names, what each is attached to (model
 * names and API key ids), and which policies a request to a model with a key is under. A policy's
 * terms and patterns are checked before it is saved.
 */
import { randomBytes } from "node:crypto";
import type { z } from "zod";
import type {
  PolicyAttachments,
  UpdatePolicyRequest,
} from "../../../protocol/api/moderation-policies.ts";
import { type Policy, PolicyInput } from "../../../protocol/moderation.ts";
import { TailorError } from "../../errors/index.ts";
import type { SqlDb } from "../../store/sql.ts";
import { CompiledPolicy } from "./policy-eval.ts";

/** Whether a model name or a key id exists (attaching to one that does not is refused). */
export interface AttachTargets {
  model(name: string): boolean;
  key(id: string): boolean;
}

interface Row {
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
  body_json: string;
}

type Kind = "model" | "key";
const now = () => Math.floor(Date.now() / 1000);

export class PolicyStore {
  constructor(
    readonly db: SqlDb,
    private readonly targets: AttachTargets = { model: () => true, key: () => true },
  ) {}

  /** Every policy, by name. */
  list(): Policy[] {
    const rows = this.db.prepare("SELECT * FROM moderation_policies ORDER BY name").all() as Row[];
    return rows.map((r) => this.#policy(r));
  }

  /** A policy by its id or its name, or null. */
  find(ref: string): Policy | null {
    const row = this.db
      .prepare("SELECT * FROM moderation_policies WHERE id = ? OR name = ?")
      .get(ref, ref) as Row | undefined;
    return row ? this.#policy(row) : null;
  }

  get(ref: string): Policy {
    const p = this.find(ref);
    if (!p) {
      throw new TailorError({
        code: "not_found",
        message: `no moderation policy "${ref}" (\`tailor policies list\` lists them)`,
        details: { field: "policy" },
      });
    }
    return p;
  }

  /** A new policy from its fields (defaults filled in, checked: a problem names its field). */
  create(input: z.input<typeof PolicyInput>, attached: PolicyAttachments = {}): Policy {
    const body = parsePolicy(input);
    new CompiledPolicy({ ...body, id: null });
    const id = `modpol_${randomBytes(12).toString("hex")}`;
    const t = now();
    this.db.transaction(() => {
      this.#taken(body.name, null);
      this.db
        .prepare(
          "INSERT INTO moderation_policies (id, name, created_at, updated_at, body_json) VALUES (?, ?, ?, ?, ?)",
        )
        .run(id, body.name, t, t, JSON.stringify(body));
      this.#replace(id, attached);
    })();
    return this.get(id);
  }

  /** Changes the fields given; `input`/`output` replace that side whole, `attached` the lists given. */
  update(ref: string, patch: UpdatePolicyRequest): Policy {
    const current = this.get(ref);
    const { attached, ...fields } = patch;
    const { object: _o, id, created_at: _c, updated_at: _u, attached: _a, ...old } = current;
    const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    const body = parsePolicy({ ...old, ...defined });
    new CompiledPolicy({ ...body, id });
    this.db.transaction(() => {
      this.#taken(body.name, id);
      this.db
        .prepare(
          "UPDATE moderation_policies SET name = ?, updated_at = ?, body_json = ? WHERE id = ?",
        )
        .run(body.name, now(), JSON.stringify(body), id);
      if (attached) this.#replace(id, attached);
    })();
    return this.get(id);
  }

  delete(ref: string): { id: string } {
    const { id } = this.get(ref);
    this.db.prepare("DELETE FROM moderation_policies WHERE id = ?").run(id);
    return { id };
  }

  /** Adds models and keys to what the policy is attached to. */
  attach(ref: string, add: PolicyAttachments): Policy {
    const { id } = this.get(ref);
    this.#check(add);
    const insert = this.db.prepare(
      "INSERT INTO moderation_attachments (policy_id, kind, target) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    );
    this.db.transaction(() => {
      for (const [kind, targets] of this.#pairs(add))
        for (const t of targets) insert.run(id, kind, t);
      this.#touch(id);
    })();
    return this.get(id);
  }

  /** Removes models and keys from what the policy is attached to (one it is not attached to is refused). */
  detach(ref: string, remove: PolicyAttachments): Policy {
    const p = this.get(ref);
    const del = this.db.prepare(
      "DELETE FROM moderation_attachments WHERE policy_id = ? AND kind = ? AND target = ?",
    );
    this.db.transaction(() => {
      for (const [kind, targets] of this.#pairs(remove)) {
        for (const t of targets) {
          if (del.run(p.id, kind, t).changes === 0) {
            throw new TailorError({
              code: "not_found",
              message: `policy "${p.name}" is not attached to ${kind} "${t}"`,
              details: { field: `${kind}s` },
            });
          }
        }
      }
      this.#touch(p.id);
    })();
    return this.get(p.id);
  }

  /**
   * The policies a chat completion with `model` and key `keyId` is under: the model's (by name),
   * then the key's, each once.
   */
  forRequest(model: string, keyId: string | null): Policy[] {
    const ids = this.db
      .prepare(
        `SELECT a.policy_id AS id FROM moderation_attachments a JOIN moderation_policies p ON p.id = a.policy_id
         WHERE (a.kind = 'model' AND a.target = @model) OR (a.kind = 'key' AND a.target = @key)
         ORDER BY CASE a.kind WHEN 'model' THEN 0 ELSE 1 END, p.name`,
      )
      .all({ model, key: keyId }) as { id: string }[];
    return [...new Set(ids.map((r) => r.id))].map((id) => this.get(id));
  }

  #policy(r: Row): Policy {
    const body = PolicyInput.parse(JSON.parse(r.body_json));
    const rows = this.db
      .prepare(
        "SELECT kind, target FROM moderation_attachments WHERE policy_id = ? ORDER BY kind, target",
      )
      .all(r.id) as { kind: Kind; target: string }[];
    return {
      ...body,
      object: "tailor.moderation_policy",
      id: r.id,
      created_at: r.created_at,
      updated_at: r.updated_at,
      attached: {
        models: rows.filter((a) => a.kind === "model").map((a) => a.target),
        keys: rows.filter((a) => a.kind === "key").map((a) => a.target),
      },
    };
  }

  #taken(name: string, self: string | null): void {
    const other = this.db.prepare("SELECT id FROM moderation_policies WHERE name = ?").get(name) as
      | { id: string }
      | undefined;
    if (other && other.id !== self) {
      throw new TailorError({
        code: "conflict",
        message: `a moderation policy named "${name}" exists already; pick another name or change that one`,
        details: { field: "name" },
      });
    }
  }

  #pairs(a: PolicyAttachments): [Kind, string[]][] {
    return [
      ["model", a.models ?? []],
      ["key", a.keys ?? []],
    ];
  }

  #check(a: PolicyAttachments): void {
    (a.models ?? []).forEach((m, i) => {
      if (!this.targets.model(m)) {
        throw new TailorError({
          code: "not_found",
          message: `attached.models[${i}]: no model "${m}" (\`tailor models list\` lists them)`,
          details: { field: `attached.models[${i}]` },
        });
      }
    });
    (a.keys ?? []).forEach((k, i) => {
      if (!this.targets.key(k)) {
        throw new TailorError({
          code: "not_found",
          message: `attached.keys[${i}]: no API key "${k}" (\`tailor keys list\` lists them)`,
          details: { field: `attached.keys[${i}]` },
        });
      }
    });
  }

  /** Replaces the lists given (a list not given is kept). */
  #replace(id: string, a: PolicyAttachments): void {
    this.#check(a);
    const insert = this.db.prepare(
      "INSERT INTO moderation_attachments (policy_id, kind, target) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    );
    for (const [kind, targets] of this.#pairs(a)) {
      const given = kind === "model" ? a.models : a.keys;
      if (given === undefined) continue;
      this.db
        .prepare("DELETE FROM moderation_attachments WHERE policy_id = ? AND kind = ?")
        .run(id, kind);
      for (const t of targets) insert.run(id, kind, t);
    }
  }

  #touch(id: string): void {
    this.db.prepare("UPDATE moderation_policies SET updated_at = ? WHERE id = ?").run(now(), id);
  }
}

/** A policy's fields checked, a problem refused naming its field (`output.patterns.0` as `output.patterns[0]`). */
function parsePolicy(value: unknown): PolicyInput {
  const parsed = PolicyInput.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = (issue?.path ?? [])
    .map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`))
    .join("");
  throw new TailorError({
    code: "invalid_argument",
    message: `${field ? `${field}: ` : ""}${issue?.message ?? "not a moderation policy"}`,
    details: { field },
  });
}

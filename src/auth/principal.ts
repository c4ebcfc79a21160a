import { TailorError } from "../errors/index.ts";
import type { Role } from "./keys.ts";

/** Who is calling: the API key's owner and role. */
export interface Principal {
  keyId: string;
  owner: string;
  role: Role;
}

/** The owner whose objects a caller sees: everyone's for an admin (undefined), else their own. */
export function ownerScope(p: Principal): string | undefined {
  return p.role === "admin" ? undefined : p.owner;
}

export function requireRole(p: Principal, roles: readonly Role[], doing: string): void {
  if (!roles.includes(p.role)) {
    throw new TailorError({
      code: "forbidden",
      message: `a ${p.role} key may not ${doing}; ask an admin for a ${roles.join(" or ")} key`,
    });
  }
}

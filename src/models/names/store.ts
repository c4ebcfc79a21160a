/**
 * Model names (`support`) and their versions: one version answers at a time; promote and roll
 * back, every change recorded with who and why. SKELETON: helper A implements it.
 */
import type {
  GateDecision,
  ModelName,
  ModelNameEvent,
  ModelVersion,
} from "../../../protocol/versions.ts";
import type { Db } from "../../store/index.ts";

const todo = (what: string): never => {
  throw new Error(`ModelNames.${what}: not implemented yet`);
};

export class ModelNames {
  constructor(readonly db: Db) {}

  /** A new name at version 1 = `model`. */
  create(_name: string, _owner: string, _model: string, _who: string, _why: string): ModelName {
    return todo("create");
  }

  /** Adds a version (not promoted unless `promote`); its number. */
  add(
    _name: string,
    _model: string,
    _opts: {
      who: string;
      why: string;
      origin: ModelVersion["origin"];
      jobId?: string | null;
      gate?: GateDecision | null;
      promote?: boolean;
    },
  ): ModelVersion {
    return todo("add");
  }

  promote(_name: string, _version: number, _who: string, _why: string): ModelName {
    return todo("promote");
  }

  /** Back to the version that answered before the current one. */
  rollback(_name: string, _who: string, _why: string): ModelName {
    return todo("rollback");
  }

  find(_name: string): ModelName | null {
    return todo("find");
  }

  get(_name: string): ModelName {
    return todo("get");
  }

  list(_owner: string | undefined): ModelName[] {
    return todo("list");
  }

  events(_name: string): ModelNameEvent[] {
    return todo("events");
  }

  /** Records a refused promotion (a gate that said no), for the history. */
  refused(_name: string, _who: string, _why: string): void {
    todo("refused");
  }

  setStorage(
    _name: string,
    _opts: { storeCompletions?: boolean; retentionDays?: number },
  ): ModelName {
    return todo("setStorage");
  }

  delete(_name: string): void {
    todo("delete");
  }
}

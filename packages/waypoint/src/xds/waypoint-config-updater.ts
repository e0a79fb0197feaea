/**
 * The only writer of the waypoint's current configuration (style rule 6). It turns one delta
 * response into a {@link AppliedWaypointConfig} at the boundary (Any → pb → domain, regexes and
 * JWKS compiled), and either applies it whole or rejects it: a rejected resource leaves the
 * previous configuration in force and its reason goes into the NACK (wire-spec §3.3).
 */
import { readFileSync } from "node:fs";
import * as pb from "@ambit/api/pb";
import {
  createLogger,
  type DeltaResourceView,
  type DeltaTypeHandler,
  type DeltaUpdate,
  errorMessage,
  type ResourceRejection,
} from "@ambit/core";
import { toJson } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { fromWaypointConfig } from "../config/from-pb.js";
import type { WaypointState } from "../config/types.js";
import { type CompiledJwtRule, compileJwtRules } from "../route/jwt.js";
import { WAYPOINT_TYPE_URL } from "./waypoint-node.js";

const log = createLogger("waypoint.xds");

/** A configuration the request path can use as is. */
export interface AppliedWaypointConfig {
  readonly state: WaypointState;
  readonly jwtRules: readonly CompiledJwtRule[];
  /** Resource version from the control plane. */
  readonly version: string;
  /** When it was applied (ISO time). */
  readonly appliedAt: string;
  /** The wire config as proto JSON, for `/config_dump`. */
  readonly wire: unknown;
}

/** Outcome of converting one resource. */
export type ConvertedWaypointConfig =
  | { readonly ok: true; readonly config: AppliedWaypointConfig }
  | { readonly ok: false; readonly reason: string };

/**
 * Convert one resource of a response. Refuses: another resource than the one subscribed, no or
 * foreign payload, undecodable bytes, a config naming another Gateway, anything
 * `fromWaypointConfig` or the JWKS compiler refuse (bad regex, unreadable JWKS file, …).
 */
export function convertWaypointResource(
  expectedName: string,
  r: DeltaResourceView,
  opts: { readonly readFile: (path: string) => string; readonly now: () => number },
): ConvertedWaypointConfig {
  if (r.name !== expectedName)
    return { ok: false, reason: `unexpected resource (subscribed to ${expectedName} only)` };
  const any = r.resource;
  if (!any) return { ok: false, reason: "resource has no payload" };
  if (any.typeUrl !== WAYPOINT_TYPE_URL)
    return { ok: false, reason: `payload type ${any.typeUrl}, expected ${WAYPOINT_TYPE_URL}` };
  let msg: pb.waypoint.WaypointConfig | undefined;
  try {
    msg = anyUnpack(any, pb.waypoint.WaypointConfigSchema);
  } catch (e) {
    return { ok: false, reason: `payload could not be decoded: ${errorMessage(e)}` };
  }
  if (!msg) return { ok: false, reason: "payload could not be decoded" };
  const named = `${msg.namespace}/${msg.name}`;
  if (named !== expectedName) return { ok: false, reason: `config is for ${named}, not ${expectedName}` };
  try {
    const state = fromWaypointConfig(msg);
    const jwtRules = compileJwtRules(state.jwtRules, opts.readFile);
    return {
      ok: true,
      config: {
        state,
        jwtRules,
        version: r.version,
        appliedAt: new Date(opts.now()).toISOString(),
        wire: toJson(pb.waypoint.WaypointConfigSchema, msg),
      },
    };
  } catch (e) {
    return { ok: false, reason: errorMessage(e) };
  }
}

export interface WaypointConfigUpdaterOptions {
  /** `<ns>/<gateway>`: the only resource accepted. */
  readonly resourceName: string;
  /** Reads `jwksUri: file://…` files; default `readFileSync(path, "utf8")`. */
  readonly readFile?: (path: string) => string;
  readonly now?: () => number;
  /** Called after the configuration changed (applied or removed). */
  readonly onChange?: (config: AppliedWaypointConfig | undefined) => void;
}

/** The last refused push, for `/config_dump`. */
export interface WaypointConfigRejection {
  readonly version: string;
  readonly reason: string;
  readonly at: string;
}

export class WaypointConfigUpdater {
  #current: AppliedWaypointConfig | undefined;
  #lastRejection: WaypointConfigRejection | undefined;
  #removedAt: string | undefined;
  readonly #readFile: (path: string) => string;
  readonly #now: () => number;

  /** Handler for {@link WAYPOINT_TYPE_URL}, to pass to `DeltaAdsClient`. */
  readonly handler: DeltaTypeHandler = {
    typeUrl: WAYPOINT_TYPE_URL,
    apply: (u) => this.apply(u),
  };

  constructor(private readonly opts: WaypointConfigUpdaterOptions) {
    this.#readFile = opts.readFile ?? ((p) => readFileSync(p, "utf8"));
    this.#now = opts.now ?? Date.now;
  }

  /** The configuration in force; undefined before the first accepted push or after removal. */
  current(): AppliedWaypointConfig | undefined {
    return this.#current;
  }

  /** Apply one response whole: the last good resource wins, refused ones change nothing. */
  apply(update: DeltaUpdate): ResourceRejection[] {
    const rejections: ResourceRejection[] = [];
    let next: AppliedWaypointConfig | undefined;
    for (const r of update.resources) {
      const c = convertWaypointResource(this.opts.resourceName, r, {
        readFile: this.#readFile,
        now: this.#now,
      });
      if (c.ok) next = c.config;
      else {
        rejections.push({ name: r.name, reason: c.reason });
        this.#lastRejection = {
          version: r.version,
          reason: c.reason,
          at: new Date(this.#now()).toISOString(),
        };
      }
    }
    if (next) {
      this.#current = next;
      this.#removedAt = undefined;
      log.info("waypoint config applied", {
        resource: this.opts.resourceName,
        version: next.version,
        listeners: next.state.listeners.length,
        backends: next.state.backends.size,
      });
      this.opts.onChange?.(next);
    } else if (update.removed.includes(this.opts.resourceName) && this.#current) {
      // The Gateway is gone: serve nothing rather than a configuration nobody owns any more.
      this.#current = undefined;
      this.#removedAt = new Date(this.#now()).toISOString();
      log.warn("waypoint config removed by the control plane", { resource: this.opts.resourceName });
      this.opts.onChange?.(undefined);
    }
    return rejections;
  }

  /** Config-dump view (JSON-serializable). */
  dump(): Record<string, unknown> {
    const c = this.#current;
    return {
      resource: this.opts.resourceName,
      ...(c ? { version: c.version, appliedAt: c.appliedAt, config: c.wire } : {}),
      ...(this.#lastRejection ? { lastRejection: this.#lastRejection } : {}),
      ...(this.#removedAt ? { removedAt: this.#removedAt } : {}),
    };
  }
}

import type { AuthorizationPolicy, Service, Workload } from "@ambit/api";
import * as pb from "@ambit/api/pb";
import {
  createLogger,
  type DeltaTypeHandler,
  type DeltaUpdate,
  errorMessage,
  type ResourceRejection,
  TypeUrl,
} from "@ambit/core";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { type Any, anyUnpack } from "@bufbuild/protobuf/wkt";
import type { ProxyState } from "../state/proxy-state.js";
import { addressFromPb } from "./convert-address.js";
import { policyFromPb } from "./convert-authorization.js";

const log = createLogger("xds.updater");

type Unpacked<T> = { ok: true; msg: T } | { ok: false; reason: string };

function unpack<D extends DescMessage>(any: Any | undefined, schema: D): Unpacked<MessageShape<D>> {
  if (!any) return { ok: false, reason: "resource has no payload" };
  const want = `type.googleapis.com/${schema.typeName}`;
  if (any.typeUrl !== want) return { ok: false, reason: `payload type ${any.typeUrl}, expected ${want}` };
  try {
    const msg = anyUnpack(any, schema);
    return msg ? { ok: true, msg } : { ok: false, reason: "payload could not be decoded" };
  } catch (e) {
    return { ok: false, reason: `payload could not be decoded: ${errorMessage(e)}` };
  }
}

/**
 * The only writer of {@link ProxyState} (style rule 6): converts one whole delta response to
 * domain types and applies it at once. Invalid resources are left out — their previous version
 * stays in force — and returned as rejections, which the client engine turns into a NACK.
 */
export class StateUpdater {
  constructor(private readonly state: ProxyState) {}

  /** Handler for `istio.workload.Address` (workloads and services). */
  readonly address: DeltaTypeHandler = {
    typeUrl: TypeUrl.address,
    apply: (u) => this.applyAddress(u),
  };

  /** Handler for `istio.security.Authorization`. */
  readonly authorization: DeltaTypeHandler = {
    typeUrl: TypeUrl.authorization,
    apply: (u) => this.applyAuthorization(u),
  };

  applyAddress(update: DeltaUpdate): ResourceRejection[] {
    const rejections: ResourceRejection[] = [];
    const workloads: Workload[] = [];
    const services: Service[] = [];
    for (const r of update.resources) {
      const u = unpack(r.resource, pb.workload.AddressSchema);
      if (!u.ok) {
        rejections.push({ name: r.name, reason: u.reason });
        continue;
      }
      const c = addressFromPb(r.name, u.msg);
      if (!c.ok) rejections.push({ name: r.name, reason: c.reason });
      else if (c.value.kind === "workload") workloads.push(c.value.workload);
      else services.push(c.value.service);
    }
    const unmatched = this.state.applyAddress({ workloads, services, removed: update.removed });
    if (unmatched.length > 0) log.debug("removed names not in state", { names: unmatched });
    return rejections;
  }

  applyAuthorization(update: DeltaUpdate): ResourceRejection[] {
    const rejections: ResourceRejection[] = [];
    const policies: AuthorizationPolicy[] = [];
    for (const r of update.resources) {
      const u = unpack(r.resource, pb.security.AuthorizationSchema);
      if (!u.ok) {
        rejections.push({ name: r.name, reason: u.reason });
        continue;
      }
      const c = policyFromPb(r.name, u.msg);
      if (c.ok) policies.push(c.value);
      else rejections.push({ name: r.name, reason: c.reason });
    }
    const unmatched = this.state.applyAuthorization({ policies, removed: update.removed });
    if (unmatched.length > 0) log.debug("removed policies not in state", { names: unmatched });
    return rejections;
  }
}

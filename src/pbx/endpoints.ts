// Which PBX endpoints are phones of the PBX and which are trunks to the outside world.
// Shared by every driver: each driver splits its own channel names into endpoint and resource.

export interface EndpointRules {
  /** Endpoint names (as the driver spells them, e.g. `PJSIP/carrier`) or bare resources (`carrier`) that are trunks. */
  trunks: readonly string[];
  /** Endpoints that are users' devices even though their resource is not an extension (e.g. `PJSIP/alice-mobile`). */
  devices: readonly string[];
  /** Resources that name an internal extension. */
  extensionPattern: RegExp;
}

export const DEFAULT_EXTENSION_PATTERN = /^\d{2,6}$/;

export function defaultEndpointRules(): EndpointRules {
  return { trunks: [], devices: [], extensionPattern: DEFAULT_EXTENSION_PATTERN };
}

export class EndpointClassifier {
  private readonly trunks: Set<string>;
  private readonly devices: Set<string>;

  constructor(private readonly rules: EndpointRules = defaultEndpointRules()) {
    this.trunks = new Set(rules.trunks);
    this.devices = new Set(rules.devices);
  }

  /** The configured trunks by their resource name (`PJSIP/carrier` and `carrier` are both `carrier`). */
  trunkNames(): string[] {
    return [...new Set([...this.trunks].map((t) => t.slice(t.lastIndexOf("/") + 1)))];
  }

  /** internal = a phone of the PBX; external = a trunk (anything that is neither a device nor an extension). */
  side(endpoint: string, resource: string): "internal" | "external" {
    if (this.trunks.has(endpoint) || this.trunks.has(resource)) return "external";
    if (this.devices.has(endpoint)) return "internal";
    return this.rules.extensionPattern.test(resource) ? "internal" : "external";
  }
}

import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from '../errors/app-error';

/** Address ranges a skill may not reach unless OUTBOUND_ALLOW lists them (SSRF protection). */
const REFUSED_RANGES = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
  'carrierGradeNat',
  'private',
  'reserved',
  'uniqueLocal',
  'ipv4Mapped',
  'rfc6145',
  'rfc6052',
  '6to4',
  'teredo',
  'benchmarking',
  'amt',
  'as112',
  'deprecated',
  'orchid2',
  'droneRemoteIdProtocolEntityTags',
]);

export class OutboundRefusedError extends AppError {
  constructor(target: string, reason: string) {
    super(422, 'Outbound Request Refused', `the outbound policy refuses ${target}: ${reason}; list it in OUTBOUND_ALLOW if it is intended`, {
      code: 'outbound-refused',
      extra: { target },
    });
    this.name = 'OutboundRefusedError';
  }
}

export interface SelfOrigin {
  /** The service's own address and port: its built-in demo endpoint is always reachable. */
  readonly address: string;
  readonly port: number;
}

export type Resolver = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * Decides which hosts skills may call. Checked on IP literals before connecting, on every
 * address DNS returns (the connect lookup, so a name cannot resolve to a private address behind
 * our back), and again on every redirect hop.
 */
export class OutboundPolicy {
  readonly #allowedHosts = new Set<string>();
  readonly #allowedRanges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];

  constructor(
    allow: readonly string[],
    private readonly self?: SelfOrigin,
    /** DNS resolution; replaceable so tests can make a name resolve to a private address. */
    private readonly resolve: Resolver = (hostname, options, callback) => dns.lookup(hostname, options, callback),
  ) {
    for (const entry of allow) {
      const value = entry.trim().toLowerCase();
      if (value.includes('/')) this.#allowedRanges.push(ipaddr.parseCIDR(value));
      else if (ipaddr.isValid(value)) {
        const address = ipaddr.process(value);
        this.#allowedRanges.push([address, address.kind() === 'ipv4' ? 32 : 128]);
        // Also as text (in the form URL hostnames take), so the usual case is one set lookup.
        this.#allowedHosts.add(address.toString());
      } else this.#allowedHosts.add(value);
    }
  }

  /** Throws OutboundRefusedError unless the URL may be requested. */
  checkUrl(url: URL): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundRefusedError(url.protocol, 'only http and https are allowed');
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (this.#allowedHosts.has(host)) return;
    if (net.isIP(host) !== 0) {
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      if (this.self && host === this.self.address && port === this.self.port) return;
      this.checkAddress(host, host);
    }
  }

  checkAddress(address: string, hostname: string): void {
    const parsed = ipaddr.process(address);
    if (this.#allowedRanges.some(([range, bits]) => parsed.kind() === range.kind() && parsed.match(range, bits))) return;
    const range = parsed.range();
    if (REFUSED_RANGES.has(range)) {
      throw new OutboundRefusedError(hostname === address ? address : `${hostname} (${address})`, `${range} addresses are not allowed`);
    }
  }

  /** A `lookup` for net/tls.connect (undici's connect options) that refuses blocked addresses. */
  readonly lookup = (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    this.resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      try {
        if (!this.#allowedHosts.has(hostname.toLowerCase())) {
          for (const { address } of addresses) this.checkAddress(address, hostname);
        }
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      return callback(null, first.address, first.family);
    });
  };
}

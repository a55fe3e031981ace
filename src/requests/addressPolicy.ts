import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { RequestHost } from '../engine/requestSettings';
import { hostMatches } from '../engine/requestUrl';

/**
 * Which hosts and addresses outbound requests may reach (settings.yaml `requests.hosts`).
 * Addresses: only public unicast ones, unless the host's entry says `private: true`. Everything
 * ipaddr.js names a special range is refused: loopback, RFC 1918, unique local (fc00::/7),
 * link-local (169.254/16 with the cloud metadata address, fe80::/10), unspecified, CGNAT
 * (100.64/10), multicast, broadcast, reserved, benchmarking, and the IPv6 forms that carry an
 * IPv4 address (6to4, Teredo, NAT64): those could lead back to a private one. An IPv4-mapped IPv6
 * address (::ffff:10.0.0.1) is judged as the IPv4 address it is.
 */
export function isPublicAddress(address: string): boolean {
  const bare = stripBrackets(address);
  if (!ipaddr.isValid(bare)) return false;
  let parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

export const stripBrackets = (host: string): string => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/** A host name as compared with the list: lower case, no trailing dot, IPv6 without brackets. */
export const normalHost = (host: string): string => stripBrackets(host.toLowerCase()).replace(/\.$/, '');

/** Whether the host is an IP literal (no name to resolve). */
export const isIpLiteral = (host: string): boolean => isIP(stripBrackets(host)) !== 0;

/**
 * The entry that allows `hostname`: an exact name (or IP literal, compared in its canonical form),
 * or `*.suffix` for the suffix's subdomains (not the suffix itself). The first match wins.
 */
export function findHost(hosts: readonly RequestHost[], hostname: string): RequestHost | undefined {
  const host = canonical(normalHost(hostname));
  return hosts.find((entry) => {
    const pattern = normalHost(entry.host);
    return hostMatches(pattern.startsWith('*.') ? pattern : canonical(pattern), host);
  });
}

/** IP literals compare by value (::1 and 0:0:0:0:0:0:0:1 are one host); names as they are. */
function canonical(host: string): string {
  return isIP(host) !== 0 ? ipaddr.parse(host).toString() : host;
}

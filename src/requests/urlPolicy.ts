import type { RequestHost, RequestSettings } from '../engine/requestSettings';
import { findHost, isIpLiteral, isPublicAddress } from './addressPolicy';

export type UrlCheck =
  | { readonly ok: true; readonly url: URL; readonly host: RequestHost }
  | { readonly ok: false; readonly reason: 'bad_url' | 'scheme' | 'host_not_allowed' | 'private_address' };

/**
 * What can be judged from the URL alone, before any I/O: a URL without credentials, http(s), a
 * listed host, https unless the host allows http, and an IP literal's address. A name's addresses
 * are judged when it is resolved (guardedAgent).
 */
export function checkUrl(settings: Pick<RequestSettings, 'hosts'>, text: string): UrlCheck {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'bad_url' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'scheme' };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'bad_url' };
  const host = findHost(settings.hosts, url.hostname);
  if (!host) return { ok: false, reason: 'host_not_allowed' };
  if (url.protocol === 'http:' && !host.http) return { ok: false, reason: 'scheme' };
  if (!host.private && isIpLiteral(url.hostname) && !isPublicAddress(url.hostname))
    return { ok: false, reason: 'private_address' };
  return { ok: true, url, host };
}

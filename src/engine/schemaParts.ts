import { z } from 'zod';

/**
 * The names the flow language shares across its schemas (flows, requests, questions, catalogs),
 * written once so a flow's ids, node references and fields are checked, and explained, alike
 * everywhere. The messages are what the flow linter shows: keep them as they are.
 */

/** An id (flow, node, question, catalog): up to 64 letters, digits, _ and -, not starting with _ or -. */
export const ID_PATTERN = '[a-z0-9][a-z0-9_-]{0,63}';
/** A user field or attribute name: up to 64 letters, digits and _, not starting with a digit. */
export const FIELD_PATTERN = /^[a-z_][a-z0-9_]{0,63}$/i;

export const idSchema = z.string().regex(new RegExp(`^${ID_PATTERN}$`, 'i'), 'use letters, digits, _ and - (at most 64)');
export const nodeRefSchema = idSchema.describe('id of a node in the same flow');
export const fieldSchema = z.string().regex(FIELD_PATTERN, 'field names use letters, digits and _').describe('a user field');

export type Scalar = string | number | boolean;

/**
 * Fills `{{field}}` and `{{field|default}}` from the user's fields, then the inline default (the
 * more specific one), then the settings' defaults. A value that is still missing renders as an empty string, never
 * "undefined"; the linter warns about placeholders with no default anywhere.
 */
export function interpolate(
  template: string,
  fields: Readonly<Record<string, Scalar>>,
  defaults: Readonly<Record<string, Scalar>>,
): string {
  return template.replace(/\{\{\s*([a-z_][a-z0-9_]*)\s*(?:\|([^}]*))?\}\}/gi, (_m, name: string, inline: string | undefined) => {
    const value = fields[name] ?? inline?.trim() ?? defaults[name];
    return value === undefined ? '' : String(value);
  });
}

/** Names of the fields a template reads, for the linter. */
export function placeholders(template: string): Array<{ name: string; hasDefault: boolean }> {
  return [...template.matchAll(/\{\{\s*([a-z_][a-z0-9_]*)\s*(\|[^}]*)?\}\}/gi)].map((m) => ({
    name: m[1] as string,
    hasDefault: m[2] !== undefined,
  }));
}

/**
 * The smallest flow a Page can serve, as its YAML file: "hi" starts it, one node says `text` and
 * ends. Tests and benches of several Pages give each Page one, so each Page's answer shows whose
 * flows it came from.
 */
export function greetingFlow(id: string, node: string, text: string): string {
  return [
    `id: ${id}`,
    `start: ${node}`,
    'triggers:',
    '  - keyword: [hi]',
    'nodes:',
    `  ${node}:`,
    '    say:',
    `      - text: ${JSON.stringify(text)}`,
    '    end: true',
    '',
  ].join('\n');
}

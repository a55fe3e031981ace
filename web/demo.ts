import type { DemoAction } from '../src/cli/demoWebEvents';
import type { DemoStreamEvent } from '../src/cli/demoWebStream';
import { AgentPanel } from './agentPanel';
import { CustomerPanel } from './customerPanel';
import { MarketerPanel } from './marketerPanel';

/**
 * The demo page's entry: simulated customers side by side, each a Messenger thread with the bot.
 * What a customer does is POSTed to /demo/api/events (the demo signs it and posts it to its own
 * webhook, as Meta would); what the bot sends arrives on one server-sent events stream and is
 * drawn in that customer's panel. Later panels (the agent's inbox, the marketer's) sit beside these.
 */

/** A page's customers get PSIDs of their own, so a reload starts new conversations instead of continuing old ones. */
const session = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(36).padStart(2, '0')).join('');
const panels = new Map<string, CustomerPanel>();
const list = document.getElementById('customers');
const connection = document.getElementById('connection');
const addButton = document.getElementById('add-customer');

/** POSTs JSON to one of the demo's routes; resolves with an error message to show, or undefined when the demo took it. */
async function postJson(path: string, body: unknown): Promise<string | undefined> {
  try {
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.ok) return undefined;
    const answer = (await res.json().catch(() => ({}))) as { error?: string };
    return answer.error ?? `the demo answered ${res.status}`;
  } catch {
    return 'the demo is not answering (is `npm run demo` still running?)';
  }
}

const send = (action: DemoAction) => postJson('api/events', action);
const sendComment = (customer: string, text: string) => postJson('api/comments', { customer, text });

function addCustomer(): CustomerPanel {
  const n = panels.size + 1;
  const panel = new CustomerPanel(`web-${session}-${n}`, `Customer ${n}`, send, sendComment);
  panels.set(panel.psid, panel);
  list?.append(panel.element);
  marketer.customersChanged();
  agent.customersChanged();
  return panel;
}

function connect(): void {
  const stream = new EventSource('api/stream');
  const say = (text: string) => {
    if (connection) connection.textContent = text;
  };
  stream.addEventListener('open', () => say('Connected: the bot’s messages appear as it sends them.'));
  // EventSource reconnects by itself (and says which event it saw last, so nothing is missed).
  stream.addEventListener('error', () => say('Connection to the demo lost: reconnecting…'));
  stream.addEventListener('bot', (e) => {
    const event = JSON.parse((e as MessageEvent<string>).data) as DemoStreamEvent;
    panels.get(event.customer)?.receive(event);
    agent.receive(event);
    marketer.botSent(event.customer);
  });
}

// The marketer's tools (audience, broadcast, sequence and clock), a section beside the customers.
const marketer = new MarketerPanel(() => Array.from(panels.values(), (p) => ({ psid: p.psid, name: p.name })));
document.querySelector('main.panels')?.append(marketer.element);

// The agent's Page Inbox, between the customers and the marketer.
const agent = new AgentPanel(() => Array.from(panels.values(), (p) => ({ psid: p.psid, name: p.name })), send);
list?.closest('section')?.after(agent.element);

addButton?.addEventListener('click', () => addCustomer().focus());
addCustomer();
connect();

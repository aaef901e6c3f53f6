// An instance loaded with `lyceum demo` before `serve`: the demo operator,
// members (Amara Okafor among them, staff of the library), and Riverside
// Public Library, whose patrons sign in from a card list (no SIP2 server):
// cards 29000001 to 29000020, PIN 1234, "shared computer" chosen by default,
// brand colour #1d5e4a.
//
// One card may be tried 8 times in 15 minutes on one server; each file has
// its own server, so each file uses any one card at most 8 times.

import { lyceumSuite } from './harness.mjs';
import { runLyceum } from './server.mjs';

/** The password `lyceum demo --password` gives every demo account. */
export const DEMO_PASSWORD = 'demo-password-123';

export const DEMO_OPERATOR = { email: 'operator@demo.lyceum.test', displayName: 'Operator', password: DEMO_PASSWORD };

/** A member, and staff of the demo library. */
export const AMARA = { email: 'amara@demo.lyceum.test', displayName: 'Amara Okafor', password: DEMO_PASSWORD };

export const DEMO_LIBRARY = {
  slug: 'riverside',
  name: 'Riverside Public Library',
  town: 'Riverside',
  brandColour: '#1d5e4a',
};

/** Card `n` (1 to 20) of the demo card list, with its PIN. */
export function demoCard(n, pin = '1234') {
  return { card: `2900${String(n).padStart(4, '0')}`, pin };
}

/** Like lyceumSuite, for a file whose server was loaded with `lyceum demo`. */
export function demoSuite() {
  return lyceumSuite({
    setup: async (dataDir) => {
      await runLyceum(dataDir, ['demo', '--password', DEMO_PASSWORD]);
    },
  });
}

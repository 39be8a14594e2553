/** ClientLink: the request-wide "client left" signal that attempts and backoff sleeps listen to. */
import { describe, expect, it } from 'vitest';
import { ClientLink } from '../../../gateway/execute/client-link.js';

describe('ClientLink', () => {
  it('tells every current listener once when the client leaves, and no one who stopped listening', () => {
    const link = new ClientLink();
    const heard: string[] = [];
    link.onLeave(() => heard.push('attempt'));
    const stop = link.onLeave(() => heard.push('sleep'));
    stop();
    link.leave();
    link.leave();
    expect(heard).toEqual(['attempt']);
    expect(link.gone).toBe(true);
  });

  it('tells a listener that subscribes after the client left at once', () => {
    const link = new ClientLink();
    link.leave();
    let heard = 0;
    link.onLeave(() => (heard += 1));
    expect(heard).toBe(1);
  });
});

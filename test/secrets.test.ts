import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { redactSecrets, registerSecret } from '../src/secrets.js';

describe('secrets stay out of logs and messages', () => {
  it('scrubs registered secrets, Bearer headers and access_token parameters from text', () => {
    registerSecret('EAAGregisteredSecret42');
    expect(redactSecrets('token EAAGregisteredSecret42 leaked')).toBe('token [redacted] leaked');
    expect(redactSecrets('Authorization: Bearer abcdef123456')).toBe('Authorization: Bearer [redacted]');
    expect(redactSecrets('GET /v23.0/1?access_token=EAAxyz&fields=id')).toBe('GET /v23.0/1?access_token=[redacted]&fields=id');
  });

  it('censors secret fields and scrubs registered values in structured logs', async () => {
    registerSecret('EAAGanotherSecret99');
    const sink = new PassThrough();
    let out = '';
    sink.on('data', (c) => (out += c));
    const log = createLogger({ level: 'info', destination: sink });
    log.info({ token: 'EAAGanotherSecret99', headers: { authorization: 'Bearer EAAGanotherSecret99' } }, 'calling graph');
    log.warn({ err: new Error('Graph said: bad token EAAGanotherSecret99') }, 'failed');
    await new Promise((r) => setImmediate(r));
    expect(out).toContain('calling graph');
    expect(out).not.toContain('EAAGanotherSecret99');
    expect(out).toContain('[redacted]');
  });
});

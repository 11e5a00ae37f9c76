import { describe, expect, it } from 'vitest';
import { isIpLiteral, isPublicIp } from '../../src/domain/ip-ranges.js';

// Expected values are Python's ipaddress.is_global with MLflow's embedded-IPv4 rule (mlflow/utils/validation.py),
// plus multicast refused.
const PUBLIC = [
  '8.8.8.8',
  '1.1.1.1',
  '192.0.0.9',
  '192.88.99.1',
  '2606:4700::1',
  '2001:4860:4860::8888',
  '2001:20::1',
  '::ffff:8.8.8.8',
  '2002:0808:0808::1',
  '64:ff9b::808:808',
];
const NOT_PUBLIC = [
  '0.0.0.0',
  '10.1.2.3',
  '100.64.0.1',
  '127.0.0.1',
  '127.255.255.254',
  '169.254.169.254',
  '172.16.0.1',
  '172.31.255.255',
  '192.0.0.1',
  '192.0.2.5',
  '192.168.1.1',
  '198.18.0.1',
  '198.51.100.7',
  '203.0.113.9',
  '224.0.0.1',
  '240.0.0.1',
  '255.255.255.255',
  '::',
  '::1',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:10.0.0.1',
  '::127.0.0.1',
  '2002:0a00:0001::',
  '64:ff9b::a00:1',
  '64:ff9b:1::1',
  '100::1',
  '2001::1',
  '2001:db8::1',
  'fc00::1',
  'fd12:3456::1',
  'fe80::1',
  'fe80::1%eth0',
  'fec0::1',
  'ff02::1',
  'not-an-ip',
  '1.2.3',
  '01.2.3.4',
  '256.1.1.1',
  '1::2::3',
];

describe('isPublicIp', () => {
  it.each(PUBLIC)('%s is public', (ip) => expect(isPublicIp(ip)).toBe(true));
  it.each(NOT_PUBLIC)('%s is not public', (ip) => expect(isPublicIp(ip)).toBe(false));
});

describe('isIpLiteral', () => {
  it('recognises IPv4 and IPv6 literals only', () => {
    for (const ip of ['1.2.3.4', '::1', '2001:db8::8:800:200c:417a', '::ffff:1.2.3.4'])
      expect(isIpLiteral(ip)).toBe(true);
    for (const h of ['example.com', '127.1', '0x7f.0.0.1', '1.2.3.4.5', ''])
      expect(isIpLiteral(h)).toBe(false);
  });
});

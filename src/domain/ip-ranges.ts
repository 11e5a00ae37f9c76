/**
 * Which IP addresses count as public, for outbound requests the server makes on a user's behalf (webhooks).
 * Python's `ipaddress.is_global` as MLflow uses it: the IANA special-purpose registries, with IPv6 transition
 * formats (IPv4-mapped, IPv4-compatible, 6to4, NAT64) judged by the IPv4 address they carry. Multicast is
 * refused too (nothing can be POSTed to it).
 */

type Range = readonly [bigint, number];

function v4(a: string): bigint {
  const parts = a.split('.');
  if (parts.length !== 4) return -1n;
  let n = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return -1n;
    const x = Number(p);
    if (x > 255) return -1n;
    n = (n << 8n) | BigInt(x);
  }
  return n;
}

function v6(a: string): bigint {
  let s = a.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    const four = v4(s.slice(lastColon + 1));
    if (four < 0n) return -1n;
    s = `${s.slice(0, lastColon + 1)}${(four >> 16n).toString(16)}:${(four & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return -1n;
  const group = (h: string) => (h === '' ? [] : h.split(':'));
  const head = group(halves[0] ?? '');
  const rest = halves.length === 2 ? group(halves[1] ?? '') : [];
  const groups = [...head, ...rest].map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? BigInt(`0x${g}`) : -1n));
  if (groups.some((g) => g < 0n)) return -1n;
  const total = groups.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return -1n;
  const zeros = halves.length === 2 ? 8 - total : 0;
  const all = [
    ...groups.slice(0, head.length),
    ...Array<bigint>(zeros).fill(0n),
    ...groups.slice(head.length),
  ];
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}

function ranges(family: 4 | 6, cidrs: readonly string[]): Range[] {
  return cidrs.map((c) => {
    const [addr = '', len = ''] = c.split('/');
    return [family === 4 ? v4(addr) : v6(addr), Number(len)] as const;
  });
}

function inRanges(n: bigint, bits: number, list: readonly Range[]): boolean {
  return list.some(([base, len]) => n >> BigInt(bits - len) === base >> BigInt(bits - len));
}

const V4_NOT_GLOBAL = ranges(4, [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
]);
const V4_GLOBAL_EXCEPTIONS = ranges(4, ['192.0.0.9/32', '192.0.0.10/32']);

const V6_NOT_GLOBAL = ranges(6, [
  '::/127',
  '64:ff9b:1::/48',
  '100::/64',
  '2001::/23',
  '2001:db8::/32',
  '3fff::/20',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
]);
const V6_GLOBAL_EXCEPTIONS = ranges(6, [
  '2001:1::1/128',
  '2001:1::2/128',
  '2001:3::/32',
  '2001:4:112::/48',
  '2001:20::/28',
  '2001:30::/28',
]);

/** The IPv4 address an IPv6 transition address carries (mapped, compatible, 6to4, NAT64), if any. */
function embeddedV4(n: bigint): bigint | undefined {
  if (n >> 32n === 0xffffn || (n >> 32n === 0n && n > 1n)) return n & 0xffffffffn; // ::ffff:a.b.c.d, ::a.b.c.d
  if (n >> 112n === 0x2002n) return (n >> 80n) & 0xffffffffn; // 2002:AABB:CCDD::/48
  if (n >> 32n === 0x64ff9b0000000000000000n) return n & 0xffffffffn; // 64:ff9b::/96
  return undefined;
}

function v4IsPublic(n: bigint): boolean {
  return inRanges(n, 32, V4_GLOBAL_EXCEPTIONS) || !inRanges(n, 32, V4_NOT_GLOBAL);
}

/** Whether `address` (an IPv4 or IPv6 literal) is a public unicast address. Anything unparsable is not. */
export function isPublicIp(address: string): boolean {
  if (!address.includes(':')) {
    const n = v4(address);
    return n >= 0n && v4IsPublic(n);
  }
  const n = v6(address);
  if (n < 0n) return false;
  const four = embeddedV4(n);
  if (four !== undefined) return v4IsPublic(four);
  return inRanges(n, 128, V6_GLOBAL_EXCEPTIONS) || !inRanges(n, 128, V6_NOT_GLOBAL);
}

/** Whether `host` is written as an IP address (and so is connected to without a DNS lookup). */
export function isIpLiteral(host: string): boolean {
  return host.includes(':') ? v6(host) >= 0n : v4(host) >= 0n;
}

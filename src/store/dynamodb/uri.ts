/**
 * `dynamodb://` backend-store URIs, in the forms the reference plugin (mlflow-dynamodbstore) accepts, so its users
 * can switch without editing their configuration:
 *
 * | URI | meaning |
 * | --- | --- |
 * | `dynamodb://` | table `mlflow`, region from the AWS environment/profile chain |
 * | `dynamodb://us-east-1` / `dynamodb://us-east-1/my-table` | region (and table) |
 * | `dynamodb://127.0.0.1:8000/tbl` | endpoint `http://127.0.0.1:8000` |
 * | `dynamodb://http://host:port/tbl`, `dynamodb://https://…` | explicit endpoint |
 *
 * Query options: `deploy=false` (use an existing table, create nothing), `billing=provisioned` with `rcu`/`wcu`
 * (default on-demand), and the plugin's `bucket`, `iam_format`, `permission_boundary` (accepted; they only concern
 * its CloudFormation stack, see docs/dynamodb.md).
 */
export interface DynamoUri {
  region?: string;
  endpoint?: string;
  table: string;
  deploy: boolean;
  billing: { mode: 'PAY_PER_REQUEST' } | { mode: 'PROVISIONED'; rcu: number; wcu: number };
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const TABLE = /^[A-Za-z0-9_.-]{3,255}$/;
const KNOWN = new Set(['deploy', 'billing', 'rcu', 'wcu', 'bucket', 'iam_format', 'permission_boundary']);

function fail(uri: string, why: string): never {
  throw new Error(`Invalid DynamoDB backend store URI '${uri}': ${why}`);
}

function capacity(uri: string, q: URLSearchParams, name: string): number {
  const raw = q.get(name) ?? '5';
  const n = Number(raw);
  if (!/^\d{1,9}$/.test(raw) || n < 1) fail(uri, `${name} must be a positive integer, got '${raw}'`);
  return n;
}

export function parseDynamoUri(uri: string): DynamoUri {
  const m = /^dynamodb:\/\/(.*)$/i.exec(uri);
  if (m === null) fail(uri, 'it must start with dynamodb://');
  let rest = m[1]!;
  let query = '';
  const qi = rest.indexOf('?');
  if (qi >= 0) {
    query = rest.slice(qi + 1);
    rest = rest.slice(0, qi);
  }
  let region: string | undefined;
  let endpoint: string | undefined;
  let path = '';
  const explicit = /^(https?):\/\/([^/]+)(\/.*)?$/i.exec(rest);
  if (explicit !== null) {
    endpoint = `${explicit[1]!.toLowerCase()}://${explicit[2]!}`;
    path = explicit[3] ?? '';
  } else {
    const slash = rest.indexOf('/');
    const host = slash >= 0 ? rest.slice(0, slash) : rest;
    path = slash >= 0 ? rest.slice(slash) : '';
    if (host === '') {
      // default region chain
    } else if (REGION.test(host)) region = host;
    else if (/^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-fA-F:]+\](?::\d{1,5})?$/.test(host))
      endpoint = `http://${host}`;
    else fail(uri, `'${host}' is neither an AWS region nor host:port`);
  }
  const table = decodeURIComponent(path.replace(/^\/+|\/+$/g, '')) || 'mlflow';
  if (!TABLE.test(table)) fail(uri, `table name '${table}' is not a valid DynamoDB table name`);
  const q = new URLSearchParams(query);
  for (const k of q.keys()) if (!KNOWN.has(k)) fail(uri, `unknown option '${k}'`);
  const billingRaw = (q.get('billing') ?? 'on-demand').toLowerCase();
  let billing: DynamoUri['billing'];
  if (billingRaw === 'on-demand' || billingRaw === 'pay_per_request') billing = { mode: 'PAY_PER_REQUEST' };
  else if (billingRaw === 'provisioned')
    billing = { mode: 'PROVISIONED', rcu: capacity(uri, q, 'rcu'), wcu: capacity(uri, q, 'wcu') };
  else fail(uri, `billing must be on-demand or provisioned, got '${billingRaw}'`);
  const out: DynamoUri = { table, deploy: (q.get('deploy') ?? 'true').toLowerCase() !== 'false', billing };
  if (region !== undefined) out.region = region;
  if (endpoint !== undefined) out.endpoint = endpoint;
  return out;
}

/**
 * AWS client settings for the URI: its region and endpoint. A local endpoint (DynamoDB Local, moto) needs some
 * region and credentials even when the environment has none; otherwise AWS's own chain supplies them.
 */
export function clientConfigFor(u: DynamoUri): {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
} {
  return {
    ...(u.region !== undefined ? { region: u.region } : {}),
    ...(u.endpoint !== undefined ? { endpoint: u.endpoint } : {}),
    ...(u.endpoint !== undefined && u.region === undefined && !process.env.AWS_REGION
      ? { region: 'us-east-1' }
      : {}),
    ...(u.endpoint !== undefined && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  };
}

/**
 * The HTTP+JSON floor for W1: a bare fastify server that accepts log-batch bodies exactly the way mltrack does
 * (raw buffer, JSON.parse) and answers `{}` without touching a database. Run as its own process:
 *   node dist/bench/noop-server.js --port <n>
 */
import Fastify from 'fastify';

const i = process.argv.indexOf('--port');
const port = Number(i >= 0 ? process.argv[i + 1] : 0);

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.get('/health', async (_req, reply) => reply.type('text/plain').send('OK'));
app.post('/api/2.0/mlflow/runs/log-batch', async (req, reply) => {
  const parsed = JSON.parse((req.body as Buffer).toString('utf8')) as { metrics?: unknown[] };
  if (!Array.isArray(parsed.metrics)) return reply.code(400).send('{}');
  return reply.type('application/json').send('{}');
});
app.post('/api/2.0/mlflow/runs/create', async (_req, reply) =>
  reply.type('application/json').send('{"run":{"info":{"run_id":"noop"}}}'),
);

await app.listen({ host: '127.0.0.1', port });
process.stdout.write(`noop server listening on ${port}\n`);
const stop = () => {
  void app.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

/**
 * Writes the Markdown report and charts from a bench JSON (e.g. one a long run left behind when it was stopped:
 * bench/cli.ts rewrites its JSON after every workload).
 *
 *   node dist/bench/report-cli.js <bench-out/….json> <docs/benchmarks/report.md> [the command that measured it]
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeCharts } from './chart.js';
import type { BenchRecord } from './lib/record.js';
import { markdownReport } from './report.js';

const [json, md, ...command] = process.argv.slice(2);
if (json === undefined || md === undefined) {
  process.stderr.write('usage: node dist/bench/report-cli.js <bench JSON> <report.md> [command]\n');
  process.exit(2);
}
const records = JSON.parse(fs.readFileSync(json, 'utf8')) as BenchRecord[];
if (records.length === 0) throw new Error(`${json} holds no records`);
const when = path
  .basename(json, '.json')
  .replace(/^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d+)Z$/, '$1T$2:$3:$4.$5Z');
fs.mkdirSync(path.dirname(path.resolve(md)), { recursive: true });
const charts = writeCharts(records, path.dirname(path.resolve(md)), path.basename(md, '.md'));
const cmd = command.length > 0 ? command.join(' ') : `node dist/bench/report-cli.js ${json} ${md}`;
fs.writeFileSync(md, markdownReport(records, records[0]!.env, { command: cmd, when }, charts));
process.stdout.write(`wrote ${md} and ${charts.length} charts\n`);

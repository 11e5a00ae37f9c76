import { Command, Option } from 'commander';
import { MLTRACK_VERSION, VERSION } from '../version.js';
import { registerDbCommands } from './db.js';
import { registerDynamoCommands } from './dynamodb.js';
import { runServer } from './server.js';

const program = new Command();
program
  .name('mltrack')
  .description('MLflow-compatible tracking server')
  .version(`mltrack ${MLTRACK_VERSION} (MLflow API ${VERSION})`, '-v, --version');

program
  .command('server')
  .description('Run the tracking server (flags and defaults as `mlflow server`).')
  .option(
    '--backend-store-uri <uri>',
    'metadata store URI (default sqlite:///mlflow.db; env MLFLOW_BACKEND_STORE_URI)',
  )
  .option(
    '--default-artifact-root <uri>',
    'artifact root for new experiments (env MLFLOW_DEFAULT_ARTIFACT_ROOT)',
  )
  .option('--artifacts-destination <path>', 'local folder behind the artifact proxy (default ./mlartifacts)')
  .addOption(
    new Option('--serve-artifacts', 'serve artifacts through the proxy (default)').default(undefined),
  )
  .option('--no-serve-artifacts', 'disable the artifact proxy')
  .option('-h, --host <host>', 'address to listen on (default 127.0.0.1; env MLFLOW_HOST)')
  .option('-p, --port <port>', 'port to listen on (default 5000; env MLFLOW_PORT)')
  .option(
    '--allowed-hosts <hosts>',
    'extra allowed Host headers, comma-separated (env MLFLOW_SERVER_ALLOWED_HOSTS)',
  )
  .option(
    '--cors-allowed-origins <origins>',
    'allowed cross-origin origins (env MLFLOW_SERVER_CORS_ALLOWED_ORIGINS)',
  )
  .option('--disable-security-middleware', 'turn off the Host and Origin checks')
  .option(
    '--static-prefix <prefix>',
    'also serve every route under this path prefix (env MLFLOW_STATIC_PREFIX)',
  )
  .option('--artifacts-only', 'serve only the artifact proxy; tracking endpoints answer 503')
  .option('--registry-store-uri <uri>', 'accepted for compatibility; must equal the backend store URI')
  .option('-w, --workers <n>', 'accepted for compatibility; mltrack serves from one process')
  .option('--gunicorn-opts <opts>', 'accepted for compatibility; ignored')
  .option('--uvicorn-opts <opts>', 'accepted for compatibility; ignored')
  .option('--waitress-opts <opts>', 'accepted for compatibility; ignored')
  .option('--dev', 'accepted for compatibility; ignored')
  .helpOption('--help', 'display help for command')
  .action(async (opts: Record<string, unknown>) => {
    await runServer(opts);
  });

registerDbCommands(program);
registerDynamoCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`mltrack: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

/**
 * The MLflow version /version reports: the client release the compatibility tests pin. The Python client turns on
 * OTLP span export for servers >= 3.4; until tracing lands, POST /v1/traces answers 501 with the message that makes
 * the client switch span export off (see api/app.ts).
 */
export const VERSION = '3.17.2';
export const MLTRACK_VERSION = '0.1.0';

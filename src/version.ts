/**
 * The version /version reports. The Python client parses it with packaging.Version and enables OTLP span export
 * only for >= 3.4; mltrack reports the MLflow API level it implements. OTLP arrives with tracing, so until then
 * it reports 3.3 and the client sends traces through the artifact path.
 */
export const VERSION = '3.3.2';
export const MLTRACK_VERSION = '0.1.0';

#!/usr/bin/env bash
# Install DynamoDB Local (AWS's emulator) from Maven Central, with a launcher that binds it to 127.0.0.1 only.
# Usage: scripts/dynamodb/install-local.sh [dir]   (default ${MLTRACK_DYNAMODB_LOCAL_HOME:-$HOME/.cache/mltrack/dynamodb-local-3.1.0})
# Needs Java 17 (java, javac) and Maven. Idempotent: an existing installation is kept. Prints the dir last.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${1:-${MLTRACK_DYNAMODB_LOCAL_HOME:-$HOME/.cache/mltrack/dynamodb-local-3.1.0}}
if [[ ! -f $DIR/classes/LoopbackDynamoDBLocal.class ]]; then
  mkdir -p "$DIR/lib" "$DIR/classes"
  echo "install-local: fetching software.amazon.dynamodb:DynamoDBLocal:3.1.0 and its dependencies into $DIR/lib" >&2
  mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$DIR/lib" -DincludeScope=runtime >&2
  javac -cp "$DIR/lib/*" -d "$DIR/classes" "$HERE/LoopbackDynamoDBLocal.java"
fi
echo "$DIR"

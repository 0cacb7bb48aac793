#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at XINRONG_TEST_PG_URL (default
# postgres://postgres@127.0.0.1:5432/test): starts the machine's cluster if nothing listens on
# 5432, installs Debian's package on a bare machine, sets trust authentication for loopback
# and creates the database. Exits non-zero when it still cannot connect: CI must fail, not skip.
set -euo pipefail
URL=${XINRONG_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
listening() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! listening; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  if ! grep -q "^host all all 127.0.0.1/32 trust" "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do listening && break; sleep 1; done
fi
db=${URL##*/}
if ! psql "$URL" -Atc "select 1" >/dev/null 2>&1; then
  su postgres -c "createdb $db" >/dev/null 2>&1 || true
fi
if ! psql "$URL" -Atc "select 1" >/dev/null; then
  echo "PostgreSQL is not reachable at $URL" >&2
  exit 1
fi
echo "PostgreSQL ready at $URL"

#!/usr/bin/env bash
# Entry point of `npm start`, `npm stop`, `npm test` and `npm run gen`: installs what a fresh
# machine lacks (Debian's PostgreSQL 15 packages, Debian's Chromium for the dashboard's browser
# tests, then the pinned npm packages that carry Deno, the Supabase CLI and the dashboard's build),
# then hands over to the TypeScript stack scripts run by that pinned Deno.
set -euo pipefail
cd "$(dirname "$0")/../.."

pg_packages=(postgresql-15 postgresql-15-cron postgresql-15-pgtap postgresql-15-plpgsql-check
  libtap-parser-sourcehandler-pgtap-perl pgbouncer)
pg_lib=/usr/lib/postgresql/15/lib
pg_share=/usr/share/postgresql/15/extension

missing_system_packages() {
  [ -x /usr/lib/postgresql/15/bin/postgres ] || return 0
  [ -f "$pg_lib/pg_cron.so" ] || return 0
  [ -f "$pg_share/pgtap.control" ] || return 0
  [ -f "$pg_lib/plpgsql_check.so" ] || return 0
  command -v pg_prove >/dev/null || return 0
  [ -x /usr/sbin/pgbouncer ] || return 0
  command -v runuser >/dev/null || return 0
  return 1
}

# Installs Debian packages as root; otherwise says which command to run, and stops.
apt_install() {
  local what=$1
  shift
  if [ "$(id -u)" -ne 0 ]; then
    echo "$what is missing. Install it with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y $*" >&2
    echo "then run this command again." >&2
    exit 1
  fi
  echo "Installing $what from Debian (once)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "$@" >&2
}

ensure_system_packages() {
  missing_system_packages || return 0
  apt_install "PostgreSQL 15 with pg_cron, pgTAP, plpgsql_check and PgBouncer" \
    "${pg_packages[@]}" util-linux
}

# The dashboard's browser tests drive Debian's Chromium (headless, through playwright-core): only
# `npm test` needs it. Of its recommended packages only the fonts its screenshots show are kept.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  apt_install "Chromium (the dashboard's browser tests use it)" --no-install-recommends \
    chromium fonts-liberation
}

# npm ci only when the lock file changed since the last install, so warm runs stay fast.
ensure_node_modules() {
  local stamp=node_modules/.installed-lock.sha256
  local want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -x node_modules/.bin/deno ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "Installing the pinned npm packages (deno, supabase CLI, the dashboard's build)..." >&2
  npm ci --no-audit --no-fund >&2
  echo "$want" >"$stamp"
}

ensure_system_packages
ensure_node_modules

command=${1:?usage: run.sh start|stop|status|test|gen [args]}
shift
if [ "$command" = test ]; then ensure_chromium; fi
case "$command" in
  test) exec node_modules/.bin/deno run --allow-all scripts/local/run-tests.ts "$@" ;;
  gen) exec node_modules/.bin/deno run --allow-all scripts/generate.ts "$@" ;;
  *) exec node_modules/.bin/deno run --allow-all scripts/local/stack.ts "$command" "$@" ;;
esac

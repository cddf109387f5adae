#!/bin/sh
# Writes the files an overlay's secretGenerator reads into <overlay>/secrets/ (git-ignored):
#   jwt-private-key.pem      users signs user tokens with it (JWT_PRIVATE_KEY)
#   jwt-previous-key.pem     the key before the last rotation, still trusted (JWT_PREVIOUS_KEY; empty: none)
#   service-private-key.pem  orders signs its stock-API tokens with it (SERVICE_PRIVATE_KEY)
#   users.env, products.env, orders.env  each service's database URL; users.env also the admin
# Keys that exist are kept: running this again must not rotate them by accident. With
# --rotate-jwt the signing key becomes the previous key and a new one is made; tokens signed with
# the old key stay valid until they expire. The env files are rewritten from the variables given.
#
#   USERS_DATABASE_URL=postgresql://users:…@db:5432/users \
#   PRODUCTS_DATABASE_URL=postgresql://products:…@db:5432/products \
#   ORDERS_DATABASE_URL=postgresql://orders:…@db:5432/orders \
#   ADMIN_EMAIL=admin@example.com \
#   deploy/k8s/make-secrets.sh deploy/k8s/overlays/prod
#
# ADMIN_PASSWORD is generated when neither given nor already in users.env, and stays there only.
set -eu

overlay=${1:?usage: make-secrets.sh <overlay dir> [--rotate-jwt], e.g. deploy/k8s/overlays/prod}
rotate=${2:-}
[ -z "$rotate" ] || [ "$rotate" = --rotate-jwt ] || { echo "make-secrets.sh: unknown option $rotate" >&2; exit 2; }
[ -f "$overlay/kustomization.yaml" ] || { echo "make-secrets.sh: $overlay has no kustomization.yaml" >&2; exit 2; }
: "${USERS_DATABASE_URL:?set USERS_DATABASE_URL to the users database, postgresql://user:password@host:5432/users}"
: "${PRODUCTS_DATABASE_URL:?set PRODUCTS_DATABASE_URL to the products database}"
: "${ORDERS_DATABASE_URL:?set ORDERS_DATABASE_URL to the orders database}"
: "${ADMIN_EMAIL:?set ADMIN_EMAIL, the account start-up makes sure is an ADMIN}"
dir="$overlay/secrets"
# The admin password given, else the one made last time, else a new one.
[ -n "${ADMIN_PASSWORD:-}" ] || ADMIN_PASSWORD=$(sed -n 's/^ADMIN_PASSWORD=//p' "$dir/users.env" 2>/dev/null || true)
[ -n "$ADMIN_PASSWORD" ] || ADMIN_PASSWORD=$(openssl rand -base64 24)
umask 077
mkdir -p "$dir"

if [ "$rotate" = --rotate-jwt ] && [ -s "$dir/jwt-private-key.pem" ]; then
  mv "$dir/jwt-private-key.pem" "$dir/jwt-previous-key.pem"
fi
[ -e "$dir/jwt-previous-key.pem" ] || : >"$dir/jwt-previous-key.pem"
for key in jwt-private-key service-private-key; do
  # Ed25519 in PKCS#8 PEM, the form lib/auth/keys.ts reads.
  [ -s "$dir/$key.pem" ] || openssl genpkey -algorithm ed25519 -out "$dir/$key.pem"
done

printf 'USERS_DATABASE_URL=%s\nADMIN_EMAIL=%s\nADMIN_PASSWORD=%s\n' "$USERS_DATABASE_URL" "$ADMIN_EMAIL" "$ADMIN_PASSWORD" >"$dir/users.env"
printf 'PRODUCTS_DATABASE_URL=%s\n' "$PRODUCTS_DATABASE_URL" >"$dir/products.env"
printf 'ORDERS_DATABASE_URL=%s\n' "$ORDERS_DATABASE_URL" >"$dir/orders.env"
echo "Wrote $dir (admin password in $dir/users.env)"

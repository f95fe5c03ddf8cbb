// OpenID Connect provider for the test suite: oidc-provider configured wholly from a JSON file.
//
//   node server.mjs config.json
//
// Prints one JSON line `{"ready": true, "issuer": ..., "admin": ...}` on stdout once listening.
// Signing keys are replaced at runtime with `PUT <admin>/jwks` (body: a private JWK set): a new
// Provider is built with the new keys and swapped in behind the same listener. oidc-provider has no
// API to change the keystore of a running instance, and a process restart would drop every session
// and grant, which live in process memory (one store, shared by the old and new instance).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import process from 'node:process';

import Provider from 'oidc-provider';
// The provider's own in-memory adapter, used directly: without a store of its own it keeps everything
// in one module-level store, which the provider instances built by key rotation then share.
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

const LOOPBACK = '127.0.0.1';

function fail(message) {
  process.stderr.write(`oidc-provider test server: ${message}\n`);
  process.exit(2);
}

function loadConfig(path) {
  if (!path) fail('usage: node server.mjs <config.json> (no configuration file given)');
  let config;
  try {
    config = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    fail(`cannot read configuration ${path}: ${err.message}`);
  }
  let issuer;
  try {
    issuer = new URL(config.issuer);
  } catch {
    fail('configuration needs "issuer", an absolute http URL such as http://127.0.0.1:8080');
  }
  // Only loopback, and only a bare origin: the provider is mounted at the root of its listener.
  if (issuer.protocol !== 'http:' || issuer.hostname !== LOOPBACK || !issuer.port) {
    fail(`"issuer" must be http://127.0.0.1:<port> (got ${config.issuer})`);
  }
  if (issuer.pathname !== '/' || issuer.search || issuer.hash) fail('"issuer" must not have a path');
  for (const key of ['clients', 'accounts', 'cookie_keys']) {
    if (!Array.isArray(config[key]) || config[key].length === 0) fail(`configuration needs a non-empty "${key}" list`);
  }
  if (!Array.isArray(config.jwks?.keys) || config.jwks.keys.length === 0) {
    fail('configuration needs "jwks": {"keys": [private JWKs]}; the development keys are never used');
  }
  return { ...config, issuer: issuer.origin };
}

const config = loadConfig(process.argv[2]);
const accounts = new Map(config.accounts.map((account) => [String(account.id), account.claims ?? {}]));

const clientDefaults = {
  grant_types: ['authorization_code'],
  response_types: ['code'],
  // Either method is accepted at the token endpoint for a client registered with one of the two.
  token_endpoint_auth_method: 'client_secret_basic',
};

function buildProvider(jwks) {
  const provider = new Provider(config.issuer, {
    clients: config.clients.map((client) => ({ ...clientDefaults, ...client })),
    jwks,
    adapter: (model) => new MemoryAdapter(model),
    cookies: { keys: config.cookie_keys },
    claims: {
      openid: ['sub'],
      profile: ['name', 'family_name', 'given_name', 'nickname', 'preferred_username', 'locale', 'updated_at'],
      email: ['email', 'email_verified'],
      phone: ['phone_number', 'phone_number_verified'],
      renda: ['division_codes', 'renda_roles'],
      ...config.claims,
    },
    async findAccount(ctx, sub) {
      const claims = accounts.get(sub);
      if (!claims) return undefined;
      // The provider filters these down to what the granted scopes and claims allow.
      return { accountId: sub, claims: async () => ({ ...claims, sub }) };
    },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    // Scope claims go into the ID token as well, not only to the userinfo endpoint.
    conformIdTokenClaims: false,
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      ...config.ttl,
    },
  });
  // devInteractions accept any login, and the provider then fails with a server_error on a session
  // whose account findAccount does not know. Send an unknown login back to the login page instead,
  // as a real sign-in form would. The parsed body is left for the provider, which reads it from there.
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && /^\/interaction\/[^/]+$/.test(ctx.path) && ctx.is('urlencoded')) {
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      const body = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      if (body.prompt === 'login' && !accounts.has(body.login)) {
        ctx.redirect(ctx.path);
        ctx.status = 303;
        return;
      }
      ctx.request.body = body;
    }
    await next();
  });
  provider.on('server_error', (ctx, err) => process.stderr.write(`server_error: ${err.stack}\n`));
  return provider;
}

let handler = buildProvider(config.jwks).callback();

const server = createServer((req, res) => handler(req, res));

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

// A separate listener keeps the admin route out of the provider's own URL space.
const admin = createServer(async (req, res) => {
  if (req.method !== 'PUT' || req.url !== '/jwks') return reply(res, 404, { error: 'only PUT /jwks' });
  let jwks;
  try {
    jwks = await readJson(req);
    if (!Array.isArray(jwks?.keys) || jwks.keys.length === 0) throw new Error('body must be {"keys": [private JWKs]}');
    handler = buildProvider(jwks).callback();
  } catch (err) {
    // The old keys stay in force when the new set is rejected.
    return reply(res, 400, { error: err.message });
  }
  return reply(res, 200, { kids: jwks.keys.map((key) => key.kid) });
});

function listen(srv, port) {
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, LOOPBACK, () => resolve(srv.address().port));
  });
}

function shutdown() {
  server.closeAllConnections();
  admin.closeAllConnections();
  server.close();
  admin.close();
  process.exit(0);
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// A test runner that dies without cleaning up closes our stdin; leaving then avoids orphans.
if (config.exit_on_stdin_eof) {
  process.stdin.on('end', shutdown);
  process.stdin.resume();
}

try {
  await listen(server, Number(new URL(config.issuer).port));
  const adminPort = await listen(admin, config.admin_port ?? 0);
  process.stdout.write(`${JSON.stringify({ ready: true, issuer: config.issuer, admin: `http://${LOOPBACK}:${adminPort}` })}\n`);
} catch (err) {
  fail(`cannot listen: ${err.message}`);
}

#!/usr/bin/env node
/**
 * A local Sigstore stack for tests, on 127.0.0.1, with real cryptography and no internet.
 *
 * One HTTP server plays four services, all at the paths their real counterparts use:
 *
 *   Fulcio   POST /api/v2/signingCert          (GET /api/v2/trustBundle)
 *   Rekor v1 POST /api/v1/log/entries          (GET /api/v1/log/entries/<uuid>, ?logIndex=N,
 *                                               GET /api/v1/log/publicKey)
 *   TSA      POST /api/v1/timestamp            RFC 3161: DER TimeStampReq in, DER TimeStampResp out
 *                                              (GET /api/v1/timestamp/certchain)
 *   OIDC     GET  /oidc/token?...&audience=X   like GitHub's ACTIONS_ID_TOKEN_REQUEST_URL endpoint
 *                                              (GET /oidc/.well-known/openid-configuration, /oidc/jwks;
 *                                              POST /oidc/job: a job's own request credential and claims)
 *
 * The certificate authority, CT log, transparency log and timestamp authority are the ones of
 * @sigstore/mock; this file bridges what the mock does not do the way real clients
 * (sigstore-python 4.x) talk to the real services:
 *
 *   - Fulcio: the OIDC token comes as `Authorization: Bearer` and the CSR as base64(PEM); the
 *     token's signature, issuer, audience and expiry are checked against the stack's own OIDC key,
 *     the claims real Fulcio requires are required, the CSR's self-signature is checked (proof of
 *     possession), and the certificate carries the SAN `https://github.com/<job_workflow_ref>` and
 *     every extension real Fulcio derives from the token's claims (fulcioExtensions below; the
 *     mock's own handler maps claims in token order and lacks the Token Subject).
 *   - Rekor: the entry logged is the canonical one (for dsse: envelopeHash, payloadHash,
 *     signatures with their verifiers), not the proposed one; DSSE signatures are checked first.
 *   - TSA: the request is DER RFC 3161 (the mock's handler expects JSON), and the nonce is echoed
 *     exactly (it is a 64-bit integer, larger than a JavaScript number holds).
 *
 * Usage: node server.mjs --dir DIR [--port N] [--claims claims.json] [--instance public-good|github]
 *
 * --instance github leaves the transparency log out of the trusted root and the signing config,
 * as GitHub's own Sigstore instance has none (its bundles carry RFC 3161 timestamps instead).
 *
 * At start it writes DIR/trusted_root.json (Sigstore TrustedRoot v0.1), DIR/signing_config.json
 * (SigningConfig v0.2) and DIR/trust_config.json (ClientTrustConfig v0.1, both of them), then
 * prints one JSON line to stdout with the URLs, paths, the OIDC request URL and token, and the
 * identity and issuer the signing certificates carry. It runs until SIGTERM or SIGINT.
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';

import 'reflect-metadata'; // the x509 and mock libraries need it loaded first

import * as x509 from '@peculiar/x509';
import mock from '@sigstore/mock';
import * as jose from 'jose';
import * as pkijs from 'pkijs';

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const FULCIO_AUDIENCE = 'sigstore';
const OPERATOR = 'wash-actions-test';
const TOKEN_LIFETIME_SECONDS = 300;

/** The GitHub Actions OIDC claims, derived from a few overridable ones. */
function githubClaims(overrides) {
  const repository = overrides.repository ?? 'octo-org/octo-repo';
  const owner = overrides.repository_owner ?? repository.split('/')[0];
  const ref = overrides.ref ?? 'refs/heads/main';
  const sha = overrides.sha ?? 'a'.repeat(40);
  const workflowPath = '.github/workflows/release.yml';
  const workflowRef = overrides.workflow_ref ?? `${repository}/${workflowPath}@${ref}`;
  // GitHub's `workflow` claim is the workflow's name; without one, the file's base name stands in
  const workflowName = /\/([^/@]+)\.ya?ml@/.exec(workflowRef)?.[1] ?? 'release';
  const base = {
    sub: `repo:${repository}:ref:${ref}`,
    ref,
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    ref_protected: 'false',
    sha,
    repository,
    repository_owner: owner,
    repository_id: '123456789',
    repository_owner_id: '987654321',
    repository_visibility: 'public',
    actor: owner,
    actor_id: '987654321',
    run_id: '4242424242',
    run_number: '7',
    run_attempt: '1',
    workflow: workflowName,
    workflow_ref: workflowRef,
    workflow_sha: sha,
    job_workflow_ref: overrides.job_workflow_ref ?? workflowRef,
    job_workflow_sha: sha,
    event_name: 'push',
    head_ref: '',
    base_ref: '',
    runner_environment: 'github-hosted',
  };
  return { ...base, ...overrides };
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      port: { type: 'string', default: '0' },
      claims: { type: 'string' },
      instance: { type: 'string', default: 'public-good' },
    },
  });
  if (!['public-good', 'github'].includes(values.instance)) {
    throw new Error(`--instance must be public-good or github, not ${values.instance}`);
  }
  if (!values.dir) {
    throw new Error('usage: node server.mjs --dir DIR [--port N] [--claims claims.json]');
  }
  const overrides = values.claims ? JSON.parse(fs.readFileSync(values.claims, 'utf8')) : {};
  return { dir: values.dir, port: Number(values.port), claims: githubClaims(overrides), instance: values.instance };
}

/**
 * The claims real Fulcio requires of a GitHub Actions token, in the order it checks them
 * (sigstore/fulcio pkg/identity/github/principal.go, WorkflowPrincipalFromIDToken): a token missing one is refused.
 */
const FULCIO_REQUIRED_CLAIMS = [
  'job_workflow_ref', 'sha', 'event_name', 'repository', 'workflow', 'ref', 'job_workflow_sha',
  'runner_environment', 'repository_id', 'repository_owner', 'repository_owner_id', 'repository_visibility',
  'workflow_ref', 'workflow_sha', 'run_id', 'run_attempt',
];

/**
 * The certificate extensions real Fulcio embeds for a GitHub Actions token, in its order: workflowPrincipal.Embed
 * (pkg/identity/github/principal.go) fills certificate.Extensions, rendered by Extensions.Render
 * (pkg/certificate/extensions.go; OIDs in docs/oid-info.md). The deprecated .1-.6 carry raw bytes ("legacy"),
 * the others a DER UTF8String. The base URL is Fulcio's hard-coded `https://github.com/`.
 */
function fulcioExtensions(claims) {
  const base = 'https://github.com';
  const at = (...parts) => [base, ...parts].join('/');
  const ext = (n, value, legacy = false) => ({ oid: `1.3.6.1.4.1.57264.1.${n}`, value: String(value), legacy });
  return [
    ext(1, claims.iss, true), // Issuer (deprecated)
    ext(2, claims.event_name, true), // GitHub Workflow Trigger (deprecated)
    ext(3, claims.sha, true), // GitHub Workflow SHA (deprecated)
    ext(4, claims.workflow, true), // GitHub Workflow Name (deprecated)
    ext(5, claims.repository, true), // GitHub Workflow Repository (deprecated)
    ext(6, claims.ref, true), // GitHub Workflow Ref (deprecated)
    ext(8, claims.iss), // Issuer (V2)
    ext(9, at(claims.job_workflow_ref)), // Build Signer URI
    ext(10, claims.job_workflow_sha), // Build Signer Digest
    ext(11, claims.runner_environment), // Runner Environment
    ext(12, at(claims.repository)), // Source Repository URI
    ext(13, claims.sha), // Source Repository Digest
    ext(14, claims.ref), // Source Repository Ref
    ext(15, claims.repository_id), // Source Repository Identifier
    ext(16, at(claims.repository_owner)), // Source Repository Owner URI
    ext(17, claims.repository_owner_id), // Source Repository Owner Identifier
    ext(18, at(claims.workflow_ref)), // Build Config URI
    ext(19, claims.workflow_sha), // Build Config Digest
    ext(20, claims.event_name), // Build Trigger
    ext(21, at(claims.repository, 'actions/runs', claims.run_id, 'attempts', claims.run_attempt)), // Run Invocation URI
    ext(22, claims.repository_visibility), // Source Repository Visibility At Signing
    ext(24, claims.sub), // Token Subject (fulcio #2307, 2026-03-31)
  ];
}

/** An error a route answers with: HTTP status plus a Sigstore-style JSON body. */
class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest();
const spkiDER = (publicKey) => publicKey.export({ format: 'der', type: 'spki' });
const pem = (label, der) =>
  `-----BEGIN ${label}-----\n${b64(der).replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;

/** The bearer credential of a request, whatever the scheme's case (GitHub's clients send `bearer`). */
function bearer(req) {
  const match = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match ? match[1] : undefined;
}

function parseJSON(body) {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
}

/** Sigstore's DSSE pre-authentication encoding. */
function pae(payloadType, payload) {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

/** A public key from a Rekor "verifier": base64 of a PEM certificate or PEM public key. */
function verifierKey(verifier) {
  const text = Buffer.from(verifier, 'base64').toString('utf8');
  try {
    return new crypto.X509Certificate(text).publicKey;
  } catch {
    return crypto.createPublicKey(text);
  }
}

class SigstoreStack {
  constructor({ url, claims, requestToken, instance = 'public-good' }) {
    this.url = url;
    /**
     * public-good: Fulcio + Rekor (+ TSA), like Sigstore's public-good instance.
     * github: Fulcio + TSA and no transparency log, like GitHub's instance (fulcio.githubapp.com,
     * timestamp.githubapp.com) that @actions/attest uses for private and internal repositories
     * (lib/endpoints.js buildGitHubEndpoints; lib/sign.js adds a RekorWitness only with a rekorURL).
     */
    this.instance = instance;
    this.claims = claims;
    this.requestToken = requestToken;
    this.jobs = new Map(); // a job's ACTIONS_ID_TOKEN_REQUEST_TOKEN -> the claims of that job's tokens
    this.identity = `https://github.com/${claims.job_workflow_ref}`;
    this.entries = new Map(); // uuid -> Rekor v1 entry response
    this.started = new Date();
  }

  /** Generates every key and certificate, and wraps the mock's services. */
  async initialize() {
    const ec = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.caKeys = ec();
    this.ctKeys = ec();
    this.rekorKeys = ec();
    this.tsaKeys = ec();
    // GitHub signs its OIDC tokens with RS256
    this.oidcKeys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.oidcKid = sha256(spkiDER(this.oidcKeys.publicKey)).toString('hex').slice(0, 32);

    const ctlog = await mock.initializeCTLog(this.ctKeys);
    this.ca = await mock.initializeCA(this.caKeys, ctlog);
    // Certificates start a few seconds in the past, as real Fulcio's allow for clock skew: X.509 times have
    // second precision, and a timestamp taken right after issuing must never fall before notBefore.
    this.ca.getCurrentTime = () => new Date(Date.now() - 5_000);
    const tlog = await mock.initializeTLog(this.url, this.rekorKeys);
    this.rekor = mock.rekorHandler(tlog, { strict: true });
    this.tsa = await mock.initializeTSA(this.tsaKeys);
    // Timestamps on whole seconds: pkijs writes a GeneralizedTime's milliseconds without trailing zeros
    // (".12"), which @sigstore/core rejects as "invalid time" (it expects exactly three digits or none).
    this.tsa.getCurrentTime = () => new Date(Math.floor(Date.now() / 1000) * 1000);
    // The mock builds the TSTInfo nonce from a JavaScript number; echo the request's INTEGER as is
    const tstInfo = this.tsa.tstInfo.bind(this.tsa);
    this.tsa.tstInfo = (req) => {
      const info = tstInfo({ ...req, nonce: 0 });
      if (req.nonceInteger) info.nonce = req.nonceInteger;
      else delete info.nonce;
      return info;
    };
  }

  // ---- OIDC (GitHub Actions' ID token request endpoint) ----

  async oidcToken(req, query) {
    const credential = bearer(req);
    const claims = credential === this.requestToken ? this.claims : this.jobs.get(credential);
    if (!claims) {
      throw new HttpError(401, 'bad or missing ACTIONS_ID_TOKEN_REQUEST_TOKEN bearer credential');
    }
    const audience = query.get('audience') || `https://github.com/${claims.repository_owner}`;
    return { value: await this.mintToken(audience, claims) };
  }

  /**
   * A job of another workflow run or attempt (POST /oidc/job, the stack's bearer credential): GitHub gives each
   * job its own ACTIONS_ID_TOKEN_REQUEST_TOKEN, and every token requested with it carries that job's claims
   * (run_id, run_attempt, ...). The claims given override the stack's own; the answer is the job's credential.
   */
  job(req, body) {
    if (bearer(req) !== this.requestToken) throw new HttpError(401, 'bad or missing bearer credential');
    const { claims = {} } = parseJSON(body);
    const credential = crypto.randomBytes(24).toString('hex');
    this.jobs.set(credential, { ...this.claims, ...claims });
    return { requestToken: credential };
  }

  async mintToken(audience, claims = this.claims) {
    const key = this.oidcKeys.privateKey;
    const now = Math.floor(Date.now() / 1000);
    return new jose.SignJWT({ ...claims, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.oidcKid })
      .setIssuer(GITHUB_ISSUER)
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
      .sign(key);
  }

  /**
   * A token for another job's claims (POST /oidc/mint, same bearer credential): GitHub issues each job a token
   * with its own claims; tests use this to sign as a given workflow run (derived like the stack's own claims).
   */
  async mint(req, body) {
    if (bearer(req) !== this.requestToken) throw new HttpError(401, 'bad or missing bearer credential');
    const { claims = {}, audience = FULCIO_AUDIENCE } = parseJSON(body);
    const key = this.oidcKeys.privateKey;
    const now = Math.floor(Date.now() / 1000);
    return {
      value: await new jose.SignJWT({ ...githubClaims(claims), jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.oidcKid })
        .setIssuer(GITHUB_ISSUER)
        .setAudience(audience)
        .setIssuedAt(now)
        .setNotBefore(now - 5)
        .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
        .sign(key),
    };
  }

  jwks() {
    const jwk = this.oidcKeys.publicKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: this.oidcKid, alg: 'RS256', use: 'sig' }] };
  }

  // ---- Fulcio ----

  async signingCert(req, body) {
    const request = parseJSON(body);
    const token = bearer(req) ?? request.credentials?.oidcIdentityToken;
    if (!token) throw new HttpError(401, 'missing OIDC identity token');
    let claims;
    try {
      ({ payload: claims } = await jose.jwtVerify(token, this.oidcKeys.publicKey, {
        issuer: GITHUB_ISSUER,
        audience: FULCIO_AUDIENCE,
        algorithms: ['RS256'],
      }));
    } catch (e) {
      throw new HttpError(401, `invalid OIDC identity token: ${e.message}`);
    }
    for (const name of FULCIO_REQUIRED_CLAIMS) {
      if (!claims[name]) throw new HttpError(400, `missing ${name} claim in ID token`);
    }

    let publicKeyPEM;
    if (request.certificateSigningRequest) {
      let csrPEM = request.certificateSigningRequest;
      if (!csrPEM.includes('-----BEGIN')) csrPEM = Buffer.from(csrPEM, 'base64').toString('utf8');
      let csr;
      try {
        csr = new x509.Pkcs10CertificateRequest(csrPEM);
      } catch (e) {
        throw new HttpError(400, `invalid CSR: ${e.message}`);
      }
      if (!(await csr.verify())) throw new HttpError(400, 'CSR signature does not verify');
      publicKeyPEM = csr.publicKey.toString('pem');
    } else if (request.publicKeyRequest?.publicKey?.content) {
      publicKeyPEM = request.publicKeyRequest.publicKey.content;
    } else {
      throw new HttpError(400, 'no certificateSigningRequest or publicKeyRequest');
    }
    const der = Buffer.from(publicKeyPEM.replace(/-{5}(BEGIN|END) .*-{5}/gm, '').replace(/\s/gm, ''), 'base64');
    // the mock's CA signs, logs the precertificate to its CT log and embeds the SCT, as Fulcio does
    const leaf = await this.ca.issueCertificate({
      publicKey: der,
      subjectAltName: `https://github.com/${claims.job_workflow_ref}`, // the SAN: Build Signer URI
      extensions: fulcioExtensions(claims),
    });
    const chain = [pem('CERTIFICATE', leaf), pem('CERTIFICATE', this.ca.rootCertificate)];
    return {
      statusCode: 201,
      response: JSON.stringify({ signedCertificateEmbeddedSct: { chain: { certificates: chain } } }),
      contentType: 'application/json',
    };
  }

  trustBundle() {
    return { chains: [{ certificates: [pem('CERTIFICATE', this.ca.rootCertificate)] }] };
  }

  // ---- Rekor v1 ----

  async createEntry(body) {
    const proposed = parseJSON(body);
    const kind = `${proposed.kind}/${proposed.apiVersion}`;
    let canonical;
    if (kind === 'hashedrekord/0.0.1') canonical = canonicalHashedRekord(proposed.spec ?? {});
    else if (kind === 'dsse/0.0.1') canonical = canonicalDSSE(proposed.spec ?? {});
    else throw new HttpError(400, `unsupported entry kind ${kind}`);
    const result = await this.rekor.fn(JSON.stringify(canonical));
    if (result.statusCode === 201) {
      for (const [uuid, entry] of Object.entries(JSON.parse(result.response))) {
        this.entries.set(uuid, entry);
      }
    }
    return result;
  }

  getEntry(uuid) {
    const entry = this.entries.get(uuid);
    if (!entry) throw new HttpError(404, `no entry ${uuid}`);
    return { [uuid]: entry };
  }

  findEntry(logIndex) {
    for (const [uuid, entry] of this.entries) {
      if (String(entry.logIndex) === logIndex) return { [uuid]: entry };
    }
    throw new HttpError(404, `no entry at index ${logIndex}`);
  }

  // ---- Timestamp authority (RFC 3161) ----

  async timestamp(body) {
    let request;
    try {
      request = pkijs.TimeStampReq.fromBER(body);
    } catch (e) {
      throw new HttpError(400, `not a DER RFC 3161 TimeStampReq: ${e.message}`);
    }
    const imprint = request.messageImprint;
    const response = await this.tsa.timestamp({
      artifactHash: Buffer.from(imprint.hashedMessage.valueBlock.valueHexView),
      hashAlgorithmOID: imprint.hashAlgorithm.algorithmId,
      nonceInteger: request.nonce,
      policyOID: request.reqPolicy ?? '1.3.6.1.4.1.57264.2',
      certReq: request.certReq ?? false,
    });
    return { statusCode: 201, response, contentType: 'application/timestamp-reply' };
  }

  tsaCertChain() {
    return pem('CERTIFICATE', this.tsa.intCertificate) + pem('CERTIFICATE', this.tsa.rootCertificate);
  }

  // ---- Trust material ----

  trustedRoot() {
    const start = new Date(this.started.getTime() - 60_000).toISOString();
    const logKey = (keys, baseUrl) => {
      const der = spkiDER(keys.publicKey);
      return {
        baseUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(der), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: b64(sha256(der)) },
      };
    };
    return {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: this.instance === 'github' ? [] : [logKey(this.rekorKeys, this.url)],
      certificateAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
          uri: this.url,
          certChain: { certificates: [{ rawBytes: b64(this.ca.rootCertificate) }] },
          validFor: { start },
        },
      ],
      ctlogs: [logKey(this.ctKeys, `${this.url}/ct`)],
      timestampAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'tsa' },
          uri: `${this.url}/api/v1/timestamp`,
          certChain: {
            certificates: [
              { rawBytes: b64(this.tsa.intCertificate) },
              { rawBytes: b64(this.tsa.rootCertificate) },
            ],
          },
          validFor: { start },
        },
      ],
    };
  }

  signingConfig() {
    const start = new Date(this.started.getTime() - 60_000).toISOString();
    const service = (url) => ({ url, majorApiVersion: 1, validFor: { start }, operator: OPERATOR });
    return {
      mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
      caUrls: [service(this.url)],
      oidcUrls: [service(`${this.url}/oidc`)],
      rekorTlogUrls: this.instance === 'github' ? [] : [service(this.url)],
      tsaUrls: [service(`${this.url}/api/v1/timestamp`)],
      rekorTlogConfig: { selector: 'ANY' },
      tsaConfig: { selector: 'ANY' },
    };
  }
}

/** Rekor's canonical hashedrekord 0.0.1 body: only the fields Rekor keeps. */
function canonicalHashedRekord(spec) {
  const hash = spec.data?.hash;
  const signature = spec.signature;
  if (!hash?.algorithm || !hash?.value || !signature?.content || !signature?.publicKey?.content) {
    throw new HttpError(400, 'hashedrekord entry lacks data.hash or signature');
  }
  verifierKey(signature.publicKey.content); // must parse, as Rekor requires
  return {
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: hash.algorithm, value: hash.value } },
      signature: { content: signature.content, publicKey: { content: signature.publicKey.content } },
    },
  };
}

/**
 * Rekor's canonical dsse 0.0.1 body, from a proposed one ({proposedContent: {envelope, verifiers}}):
 * the envelope's and payload's SHA-256 and each signature with the verifier it verifies under.
 */
function canonicalDSSE(spec) {
  const { envelope, verifiers } = spec.proposedContent ?? {};
  if (typeof envelope !== 'string' || !Array.isArray(verifiers) || verifiers.length === 0) {
    throw new HttpError(400, 'dsse entry lacks proposedContent.envelope or verifiers');
  }
  const parsed = parseJSON(Buffer.from(envelope, 'utf8'));
  if (typeof parsed.payload !== 'string' || !Array.isArray(parsed.signatures)) {
    throw new HttpError(400, 'envelope lacks payload or signatures');
  }
  const payload = Buffer.from(parsed.payload, 'base64');
  const message = pae(parsed.payloadType ?? '', payload);
  const keys = verifiers.map(verifierKey);
  const signatures = parsed.signatures.map(({ sig }) => {
    const raw = Buffer.from(sig ?? '', 'base64');
    const index = keys.findIndex((key) => crypto.verify('sha256', message, key, raw));
    if (index < 0) throw new HttpError(400, 'envelope signature does not verify with any verifier');
    return { signature: raw.toString('base64'), verifier: verifiers[index] };
  });
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelope, 'utf8')).toString('hex') },
      payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
      signatures,
    },
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res, status, body, contentType) {
  const data = Buffer.isBuffer(body) ? body : Buffer.from(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': data.length });
  res.end(data);
}

const json = (value) => ({ statusCode: 200, response: JSON.stringify(value), contentType: 'application/json' });

/** Routes one request to the stack; returns {statusCode, response, contentType}. */
async function route(stack, req, body) {
  const url = new URL(req.url, stack.url);
  const key = `${req.method} ${url.pathname}`;
  switch (key) {
    case 'GET /oidc/token':
      return json(await stack.oidcToken(req, url.searchParams));
    case 'GET /oidc/.well-known/openid-configuration':
      return json({ issuer: GITHUB_ISSUER, jwks_uri: `${stack.url}/oidc/jwks`, id_token_signing_alg_values_supported: ['RS256'] });
    case 'POST /oidc/job':
      return json(stack.job(req, body));
    case 'POST /oidc/mint':
      return json(await stack.mint(req, body));
    case 'GET /oidc/jwks':
      return json(stack.jwks());
    case 'POST /api/v2/signingCert':
      return stack.signingCert(req, body);
    case 'GET /api/v2/trustBundle':
      return json(stack.trustBundle());
    case 'POST /api/v1/log/entries':
      return stack.createEntry(body);
    case 'GET /api/v1/log/entries':
      return json(stack.findEntry(url.searchParams.get('logIndex') ?? ''));
    case 'GET /api/v1/log/publicKey':
      return { statusCode: 200, response: pem('PUBLIC KEY', spkiDER(stack.rekorKeys.publicKey)), contentType: 'application/x-pem-file' };
    case 'POST /api/v1/timestamp':
      return stack.timestamp(body);
    case 'GET /api/v1/timestamp/certchain':
      return { statusCode: 200, response: stack.tsaCertChain(), contentType: 'application/pem-certificate-chain' };
    default:
      if (req.method === 'GET' && url.pathname.startsWith('/api/v1/log/entries/')) {
        return json(stack.getEntry(url.pathname.slice('/api/v1/log/entries/'.length)));
      }
      throw new HttpError(404, `no route for ${key}`);
  }
}

async function main() {
  const options = parseOptions();
  fs.mkdirSync(options.dir, { recursive: true });
  let stack;
  const server = http.createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      if (!stack) throw new HttpError(503, 'starting');
      const { statusCode, response, contentType } = await route(stack, req, body);
      send(res, statusCode, response, contentType || 'text/plain');
    } catch (e) {
      const status = e instanceof HttpError ? e.status : 500;
      if (status === 500) console.error(e);
      send(res, status, JSON.stringify({ code: status, message: e.message }), 'application/json');
    }
  });
  await new Promise((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;

  const candidate = new SigstoreStack({
    url,
    claims: options.claims,
    instance: options.instance,
    requestToken: crypto.randomBytes(24).toString('hex'),
  });
  await candidate.initialize();
  const trustedRoot = candidate.trustedRoot();
  const signingConfig = candidate.signingConfig();
  const files = {
    trusted_root: path.resolve(options.dir, 'trusted_root.json'),
    signing_config: path.resolve(options.dir, 'signing_config.json'),
    trust_config: path.resolve(options.dir, 'trust_config.json'),
  };
  const write = (file, value) => fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  write(files.trusted_root, trustedRoot);
  write(files.signing_config, signingConfig);
  write(files.trust_config, {
    mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
    trustedRoot,
    signingConfig,
  });
  stack = candidate;

  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      server.close();
      process.exit(0);
    });
  }
  process.stdout.write(
    `${JSON.stringify({
      url,
      ...files,
      oidc_request_url: `${url}/oidc/token?api-version=2.0`,
      oidc_request_token: stack.requestToken,
      identity: stack.identity,
      issuer: GITHUB_ISSUER,
      claims: stack.claims,
      instance: stack.instance,
      pid: process.pid,
    })}\n`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

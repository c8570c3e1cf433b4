#!/usr/bin/env node
/**
 * The official implementation as a test oracle: what @actions/attest 3.2.0 and @sigstore/oci 0.7.2 (the
 * versions actions/attest's package-lock pins) produce for the same inputs as the project.
 *
 * Usage (one JSON document on stdout):
 *   node oracle.mjs statement --subject-name NAME --subject-digest sha256:HEX --oidc-issuer URL
 *       buildSLSAProvenancePredicate() + buildIntotoStatement() for the job's OIDC token
 *       (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, GITHUB_SERVER_URL as on a runner). The token's issuer is GitHub's;
 *       its keys are fetched from --oidc-issuer (the local stack's GitHub-style OIDC endpoint) instead of
 *       https://token.actions.githubusercontent.com, the only thing changed.
 *   node oracle.mjs sbom-statement --subject-name NAME --subject-digest sha256:HEX --sbom FILE --predicate-type URI
 *       buildIntotoStatement() with the predicate actions/attest makes for `sbom-path` (src/sbom.ts
 *       generateSBOMPredicate: { type, params: the parsed SBOM document }); that action's src/sbom.ts is not in an
 *       npm package, so the predicate type it derives is given by the caller.
 *   node oracle.mjs attach --image HOST/REPO --digest sha256:HEX --bundle FILE [--predicate-type URI] [--now ISO]
 *       attachArtifactToImage() exactly as actions/attest's src/attest.ts calls it (annotations, media type);
 *       prints the artifact descriptor it returns. Credentials: none (a loopback registry). The predicate type
 *       annotation is the statement's (default SLSA provenance v1). --now fixes the clock (`new Date()` without
 *       arguments) at that instant, so that the manifest it writes (created: new Date().toISOString()) can be
 *       compared byte for byte; nothing else is changed.
 *   node oracle.mjs storage-record --image HOST/REPO --digest sha256:HEX
 *       createStorageRecord() with the arguments actions/attest's src/attest.ts gives it after a registry push
 *       (name = bare image, digest, registryUrl = origin of https://<image>; no subject-version); prints the ids.
 *   node oracle.mjs store --bundle FILE
 *       writeAttestation() (lib/store.js) against GITHUB_API_URL for GITHUB_REPOSITORY; prints {id} or {error}.
 */

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { HttpClient } from '@actions/http-client';
import { buildSLSAProvenancePredicate, createStorageRecord } from '@actions/attest';
import { attachArtifactToImage } from '@sigstore/oci';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/** A module of @actions/attest that its package.json does not export (imported by file). */
const internal = (name) => import(pathToFileURL(path.join(HERE, 'node_modules/@actions/attest/lib', name)).href);

async function statement({ 'subject-name': name, 'subject-digest': digest, 'oidc-issuer': issuer }) {
  // lib/oidc.js fetches `${GITHUB_ISSUER}/.well-known/openid-configuration` and its jwks_uri with this client
  const getJson = HttpClient.prototype.getJson;
  HttpClient.prototype.getJson = function (url, ...rest) {
    return getJson.call(this, url.startsWith(GITHUB_ISSUER) ? issuer + url.slice(GITHUB_ISSUER.length) : url, ...rest);
  };
  const { buildIntotoStatement } = await internal('intoto.js');
  const predicate = await buildSLSAProvenancePredicate();
  const [algorithm, hex] = digest.split(':');
  return buildIntotoStatement([{ name, digest: { [algorithm]: hex } }], predicate);
}

async function sbomStatement({
  'subject-name': name,
  'subject-digest': digest,
  sbom,
  'predicate-type': type,
}) {
  const { buildIntotoStatement } = await internal('intoto.js');
  const [algorithm, hex] = digest.split(':');
  // @actions/attest attest(): predicate = { type: options.predicateType, params: options.predicate }
  const params = JSON.parse(fs.readFileSync(sbom, 'utf8'));
  return buildIntotoStatement([{ name, digest: { [algorithm]: hex } }], { type, params });
}

async function attach({ image, digest, bundle, 'predicate-type': predicateType, now }) {
  if (now) {
    const RealDate = Date;
    globalThis.Date = class extends RealDate {
      constructor(...args) {
        super(...(args.length ? args : [now]));
      }
    };
  }
  const raw = fs.readFileSync(bundle);
  const parsed = JSON.parse(raw);
  // actions/attest src/attest.ts createAttestation: artifact = JSON.stringify(attestation.bundle)
  return attachArtifactToImage({
    credentials: undefined,
    imageName: image,
    imageDigest: digest,
    artifact: Buffer.from(JSON.stringify(parsed)),
    mediaType: parsed.mediaType,
    annotations: {
      'dev.sigstore.bundle.content': 'dsse-envelope',
      'dev.sigstore.bundle.predicateType': predicateType ?? 'https://slsa.dev/provenance/v1',
    },
    fetchOpts: { timeout: 30000, retry: 3 },
  });
}

async function store({ bundle }) {
  const { writeAttestation } = await internal('store.js');
  try {
    return { id: await writeAttestation(JSON.parse(fs.readFileSync(bundle, 'utf8')), process.env.GITHUB_TOKEN) };
  } catch (e) {
    return { error: e.message };
  }
}

async function storageRecord({ image, digest }) {
  const registryUrl = new URL(`https://${image}`).origin; // src/attest.ts getRegistryURL
  return createStorageRecord({ name: image, digest, version: undefined }, { registryUrl }, process.env.GITHUB_TOKEN);
}

const commands = { statement, 'sbom-statement': sbomStatement, attach, store, 'storage-record': storageRecord };

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      'subject-name': { type: 'string' },
      'subject-digest': { type: 'string' },
      'oidc-issuer': { type: 'string' },
      image: { type: 'string' },
      digest: { type: 'string' },
      bundle: { type: 'string' },
      sbom: { type: 'string' },
      'predicate-type': { type: 'string' },
      now: { type: 'string' },
    },
  });
  if (!commands[command]) throw new Error(`unknown command ${command}; one of ${Object.keys(commands).join(', ')}`);
  process.stdout.write(`${JSON.stringify(await commands[command](values))}\n`);
}

main().catch((e) => {
  process.stderr.write(`oracle failed: ${e.stack ?? e}\n${e.cause ? `cause: ${e.cause.stack ?? e.cause}\n` : ''}`);
  process.exit(1);
});

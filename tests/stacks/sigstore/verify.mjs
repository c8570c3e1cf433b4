#!/usr/bin/env node
/**
 * An independent Sigstore bundle verifier for tests: sigstore-js (@sigstore/verify), so bundles
 * made with sigstore-python are checked by a second implementation.
 *
 * Usage:
 *   node verify.mjs --bundle B.json --trusted-root trusted_root.json
 *                   --identity SAN --issuer ISSUER [--artifact FILE]
 *
 * A message-signature bundle is verified over --artifact (required). A DSSE bundle is verified on
 * its own; its payload must be an in-toto Statement, and when --artifact is given, one of the
 * statement's subjects must carry the artifact's sha256 digest.
 *
 * Verification covers the certificate chain to the trusted root's CA at the signed time(s), the
 * SCT, the RFC 3161 timestamp(s), the Rekor entry (signed entry timestamp, inclusion proof,
 * checkpoint, and its body against the bundle), the signature, and the certificate's SAN and
 * OIDC issuer extension against --identity and --issuer.
 *
 * Exits 0 and prints "OK ..." on success; exits 1 with the reason on stderr otherwise (2 on usage).
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';

import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

function usage(message) {
  process.stderr.write(`${message}\nusage: node verify.mjs --bundle B --trusted-root T --identity SAN --issuer ISS [--artifact FILE] [--no-tlog]\n`);
  process.exit(2);
}

/** Checks a DSSE payload is an in-toto Statement and, if a digest is given, that it names it. */
function checkStatement(envelope, artifactDigest) {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new Error(`DSSE payload type is ${envelope.payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  const statement = JSON.parse(Buffer.from(envelope.payload).toString('utf8'));
  if (statement._type !== IN_TOTO_STATEMENT_V1) {
    throw new Error(`payload is not an in-toto Statement v1: _type=${statement._type}`);
  }
  if (artifactDigest && !(statement.subject ?? []).some((s) => s.digest?.sha256 === artifactDigest)) {
    throw new Error(`no statement subject has sha256 ${artifactDigest}`);
  }
  return statement;
}

function main() {
  const { values } = parseArgs({
    options: {
      bundle: { type: 'string' },
      'trusted-root': { type: 'string' },
      identity: { type: 'string' },
      issuer: { type: 'string' },
      artifact: { type: 'string' },
      'no-tlog': { type: 'boolean', default: false },
    },
  });
  for (const name of ['bundle', 'trusted-root', 'identity', 'issuer']) {
    if (!values[name]) usage(`missing --${name}`);
  }

  const bundleJSON = JSON.parse(fs.readFileSync(values.bundle, 'utf8'));
  if (bundleJSON.mediaType !== 'application/vnd.dev.sigstore.bundle.v0.3+json') {
    throw new Error(`unexpected bundle media type ${bundleJSON.mediaType}`);
  }
  const bundle = bundleFromJSON(bundleJSON);
  const trustedRoot = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(values['trusted-root'], 'utf8')));
  const artifact = values.artifact ? fs.readFileSync(values.artifact) : undefined;

  const isDSSE = bundle.content.$case === 'dsseEnvelope';
  if (!isDSSE && !artifact) usage('a message-signature bundle needs --artifact');
  const entity = isDSSE ? toSignedEntity(bundle) : toSignedEntity(bundle, artifact);

  // --no-tlog: a bundle of GitHub's instance, with no transparency log entry and one RFC 3161 timestamp instead
  // (as `gh attestation verify` checks GitHub's instance's bundles)
  const thresholds = values['no-tlog'] ? { tlogThreshold: 0, timestampThreshold: 1 } : {};
  const verifier = new Verifier(toTrustMaterial(trustedRoot), thresholds);
  const signer = verifier.verify(entity, {
    subjectAlternativeName: values.identity,
    extensions: { issuer: values.issuer },
  });
  // Only once the envelope is verified does its payload mean anything
  const statement = isDSSE
    ? checkStatement(bundle.content.dsseEnvelope, artifact && crypto.createHash('sha256').update(artifact).digest('hex'))
    : undefined;
  const what = statement ? `in-toto statement (${statement.predicateType})` : 'artifact signature';
  process.stdout.write(`OK ${what} signed by ${signer.identity?.subjectAlternativeName}\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`verification failed: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
  process.exit(1);
}

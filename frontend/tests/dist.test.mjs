// Checks the built frontend: index.html loads only local, fingerprinted assets that exist, and
// contains no inline script (the CSP `default-src 'self'` must hold).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = join(import.meta.dirname, '..', 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');

test('index.html references only local assets, and each exists', () => {
  const references = [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
  assert.ok(references.length >= 2, 'a script and a stylesheet are referenced');
  for (const reference of references) {
    if (reference.startsWith('#') || reference === 'data:,') continue;
    assert.ok(!/^(https?:)?\/\//.test(reference), `${reference} must not load from another origin`);
    assert.ok(existsSync(join(dist, reference.replace(/^\//, ''))), `${reference} exists in dist/`);
  }
});

test('scripts and styles are fingerprinted under /assets/', () => {
  const assets = [...html.matchAll(/\s(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]);
  assert.ok(assets.some((asset) => asset.endsWith('.js')) && assets.some((asset) => asset.endsWith('.css')));
  for (const asset of assets) assert.match(asset, /-[A-Za-z0-9_-]{8}\.(js|css)$/);
});

test('there is no inline script or inline event handler', () => {
  const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
  for (const [, attributes, body] of scripts) {
    assert.match(attributes, /src=/, 'every script is external');
    assert.equal(body.trim(), '');
  }
  assert.doesNotMatch(html, /\son[a-z]+="/, 'no onclick= style handlers');
});

// k6/crypto: sign a request body with an HMAC the server verifies, and
// compare digests with the server's.
import http from 'k6/http';
import crypto from 'k6/crypto';
import { check } from 'k6';

export const options = { iterations: 2 };

const secret = 'compat-secret';

export default function () {
  const body = JSON.stringify({ order: __ITER, at: 'now' });
  const signature = crypto.hmac('sha256', secret, body, 'hex');
  const res = http.post(`${__ENV.BASE_URL}/signed`, body, { headers: { 'X-Signature': signature } });
  check(res, { 'signature accepted': (r) => r.status === 200 });
  check(res, { 'digest matches server': (r) => r.json('sha256') === crypto.sha256(body, 'hex') });

  const hasher = crypto.createHash('sha512');
  hasher.update(body.slice(0, 5));
  hasher.update(body.slice(5));
  check(hasher, { 'hasher matches one-shot': (h) => h.digest('base64') === crypto.sha512(body, 'base64') });
  const bytes = crypto.randomBytes(8);
  check(bytes, { 'random bytes': (b) => b.byteLength === 8 && crypto.hexEncode(b).length === 16 });
}

// k6/encoding: a Basic auth header built with b64encode (k6's "HTTP
// Authentication" example), and the other variants.
import http from 'k6/http';
import encoding from 'k6/encoding';
import { check } from 'k6';

export const options = { iterations: 2 };

const credentials = 'admin:hunter2:é';

export default function () {
  const encoded = encoding.b64encode(credentials);
  const res = http.get(`${__ENV.BASE_URL}/basic`, { headers: { Authorization: `Basic ${encoded}` } });
  check(res, { 'basic auth accepted': (r) => r.status === 200 && r.body === 'welcome' });
  check(encoded, { 'decoded back': (e) => encoding.b64decode(e, 'std', 's') === credentials });
  const bin = new Uint8Array([251, 255, 191]).buffer;
  check(bin, {
    'url-safe': (b) => encoding.b64encode(b, 'rawurl') === '-_-_' && encoding.b64encode(b, 'std') === '+/+/',
  });
}

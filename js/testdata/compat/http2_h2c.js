// Cleartext HTTP/2 with prior knowledge (h2c), a throng option beyond k6
// for servers behind a TLS-terminating proxy: res.proto is HTTP/2.0.
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  vus: 2,
  iterations: 6,
  http2: 'h2c',
  thresholds: { 'http_reqs{proto:HTTP/2.0}': ['count==18'] },
};

export default function () {
  const res = http.get(`${__ENV.BASE_URL}/proto`);
  check(res, { 'spoke HTTP/2': (r) => r.status === 200 && r.proto === 'HTTP/2.0' && r.body === 'HTTP/2.0' });
  const both = http.batch([`${__ENV.BASE_URL}/items`, ['POST', `${__ENV.BASE_URL}/echo`, 'over h2']]);
  check(both, { 'batch over HTTP/2': (b) => b.every((r) => r.proto === 'HTTP/2.0') && b[1].json('body') === 'over h2' });
}

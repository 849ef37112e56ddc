// Compressed responses are decoded as k6 decodes them (gzip, deflate, br,
// zstd), and params.compression compresses a request body.
import http from 'k6/http';
import { check } from 'k6';

export const options = { iterations: 2 };

export default function () {
  for (const enc of ['gzip', 'deflate', 'br', 'zstd']) {
    const res = http.get(`${__ENV.BASE_URL}/compressed/${enc}`, { headers: { 'Accept-Encoding': enc } });
    check(res, {
      [`${enc} decoded`]: (r) => r.headers['Content-Encoding'] === enc && r.json('items.1.name') === 'pear',
    });
  }
  const body = JSON.stringify({ note: 'squeeze '.repeat(100) });
  const up = http.post(`${__ENV.BASE_URL}/gunzip`, body, {
    compression: 'gzip',
    headers: { 'Content-Type': 'application/json' },
  });
  check(up, { 'gzip request body': (r) => r.status === 200 && r.json('length') === body.length && r.json('encoding') === 'gzip' });
}
